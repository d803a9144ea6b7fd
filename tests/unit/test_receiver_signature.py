"""The webhook signature: WooCommerce's HMAC vector, wp_specialchars_decode, and what must fail."""

from __future__ import annotations

import json

import pytest

from receiver.signature import SignatureVerifier, sign, signing_key, wp_specialchars_decode
from receiver.testing import SAMPLE_SECRET, SAMPLE_SIGNATURE, sample_body


def test_reference_vector_verifies() -> None:
    body = sample_body()
    assert signing_key(SAMPLE_SECRET) == b"wc_test_s3cret&x"
    assert sign(signing_key(SAMPLE_SECRET), body) == SAMPLE_SIGNATURE
    assert SignatureVerifier(SAMPLE_SECRET).verify(body, SAMPLE_SIGNATURE)


@pytest.mark.parametrize(
    ("stored", "key"),
    [
        ("plain", "plain"),
        ("a&amp;b", "a&b"),
        ("a&b", "a&b"),  # a bare ampersand stays
        ("&lt;&gt;&quot;&#039;", "<>\"'"),
        ("&#39;&#x27;&#X27;&#0039;&#x0027;", "'''''"),
        ("&#34;&#x22;&#034;&#X0022;", '""""'),
        ("&#38;&#x26;&#038;&#0000038;&#X26;", "&&&&&"),
        ("&#60;&#060;&#62;&#062;", "<<>>"),
        ("&amp;amp;", "&amp;"),  # one pass only
        ("&amp;lt;", "&lt;"),
        ("&nbsp;&copy;&apos;&#65;&#x41;", "&nbsp;&copy;&apos;&#65;&#x41;"),  # not decoded by WordPress
        ("&AMP;&Lt;&QUOT;", "&AMP;&Lt;&QUOT;"),  # named entities are case-sensitive
        ("&#x60;&#3;9;&#39", "&#x60;&#3;9;&#39"),  # hex 60 is not '<'; no ';' no entity
        ("&#x026;", "&"),  # hex zero padding is dropped too
        ("", ""),
    ],
)
def test_wp_specialchars_decode_mirrors_wordpress(stored: str, key: str) -> None:
    assert wp_specialchars_decode(stored) == key


def test_body_signed_over_reserialised_json_is_rejected() -> None:
    body = sample_body()
    reserialised = json.dumps(json.loads(body)).encode()
    assert reserialised != body
    signature = sign(signing_key(SAMPLE_SECRET), reserialised)
    assert not SignatureVerifier(SAMPLE_SECRET).verify(body, signature)


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        SAMPLE_SIGNATURE[:-4],  # truncated
        SAMPLE_SIGNATURE[:20],
        SAMPLE_SIGNATURE + "AAAA",
        SAMPLE_SIGNATURE.lower(),
        "sha256=" + SAMPLE_SIGNATURE,
        "qSzaPwVm8pOjt36uLfOPV+9J9/WGxZwB3nN1BB0Cakc\u00e9",  # non-ASCII
    ],
)
def test_wrong_or_missing_signature_fails(signature: str | None) -> None:
    assert not SignatureVerifier(SAMPLE_SECRET).verify(sample_body(), signature)


def test_surrounding_whitespace_in_header_is_tolerated() -> None:
    assert SignatureVerifier(SAMPLE_SECRET).verify(sample_body(), f" {SAMPLE_SIGNATURE} ")


@pytest.mark.parametrize(
    "key_used_by_sender",
    [
        "wrong-secret",
        "wc_test_s3cret&amp;x",  # sender did not decode, receiver must not accept the stored form
        "wc_test_s3cret&amp;amp;x",
        "wc_test_s3cret&&x",
    ],
)
def test_signature_with_other_key_fails(key_used_by_sender: str) -> None:
    body = sample_body()
    signature = sign(key_used_by_sender.encode(), body)
    assert not SignatureVerifier(SAMPLE_SECRET).verify(body, signature)


def test_receiver_that_forgets_to_decode_would_fail_the_vector() -> None:
    """A secret with `&` handled wrongly (no decoding) does not verify WooCommerce's signature."""
    body = sample_body()
    undecoded = sign(SAMPLE_SECRET.encode(), body)
    assert undecoded != SAMPLE_SIGNATURE
    assert SignatureVerifier("wc_test_s3cret&x").verify(body, SAMPLE_SIGNATURE)  # stored undecoded too


def test_any_byte_change_fails() -> None:
    body = sample_body()
    assert not SignatureVerifier(SAMPLE_SECRET).verify(body + b"\n", SAMPLE_SIGNATURE)
    assert not SignatureVerifier(SAMPLE_SECRET).verify(body.replace(b"64.22", b"64.23"), SAMPLE_SIGNATURE)


@pytest.mark.parametrize("size", [0, 1, 2046, 2047, 2048, 4094, 4095, 4096, 5_000, 1_048_576])
def test_bodies_hashed_in_pieces_verify_like_in_one_piece(size: int) -> None:
    """The verifier feeds the HMAC pieces under hashlib's GIL-release threshold; same digest."""
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    expected = sign(signing_key(SAMPLE_SECRET), body)
    match = SignatureVerifier(SAMPLE_SECRET).verify(body, expected)
    assert match is not None
    assert match.signature == expected.encode()
    assert SignatureVerifier(SAMPLE_SECRET).verify(body + b" ", expected) is None
