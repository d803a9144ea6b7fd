"""Properties over arbitrary requests: never a 5xx, never a publish without a valid signature."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from receiver.app import create_app
from receiver.settings import load_settings
from receiver.signature import SignatureVerifier
from receiver.testing import SAMPLE_SECRET, FakePublisher, sample_body, signed_headers
from schemas.serde import SingleObjectSerde

PATHS = st.sampled_from(["/webhook/woocommerce/order-created", "/webhook/woocommerce/order-updated"])
HEADER_TEXT = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=80
)
HEADER_NAMES = st.sampled_from(
    [
        "X-WC-Webhook-Topic",
        "X-WC-Webhook-ID",
        "X-WC-Webhook-Delivery-ID",
        "X-WC-Webhook-Source",
        "X-WC-Webhook-Resource",
        "Content-Type",
        "X-Other",
    ]
)
TOPICS = st.one_of(
    st.just("order.created"),
    st.just("order.updated"),
    st.sampled_from(["order.deleted", "ORDER.UPDATED", "", "order.restored"]),
    HEADER_TEXT,
)
JSON_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)
ORDER_FIELDS = st.sampled_from(
    [
        "id",
        "status",
        "total",
        "customer_id",
        "billing",
        "shipping",
        "line_items",
        "date_created_gmt",
        "number",
    ]
)
ORDERISH = st.dictionaries(ORDER_FIELDS, JSON_VALUE, max_size=6).map(
    lambda d: {"id": 1, **d} if "id" not in d else d
)

APP_SETTINGS = load_settings(woocommerce_webhook_secret=SAMPLE_SECRET, receiver_max_body_bytes=6000)
VERIFIER = SignatureVerifier(SAMPLE_SECRET)
LAX = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


PUBLISHER = FakePublisher()
CLIENT = create_app(APP_SETTINGS, PUBLISHER).test_client()


def _post(body: bytes, headers: dict[str, str], path: str) -> tuple[int, FakePublisher]:
    PUBLISHER.calls.clear()
    response = CLIENT.post(path, data=body, headers=headers)
    return response.status_code, PUBLISHER


def _check(status: int, publisher: FakePublisher, body: bytes, headers: dict[str, str]) -> None:
    assert status < 500, status
    signed = VERIFIER.verify(body, headers.get("X-WC-Webhook-Signature"))
    if publisher.calls:
        assert signed, "published without a valid signature"
        assert status == 200
        [(_, key, value, _)] = publisher.calls
        event = SingleObjectSerde().decode(value)
        assert event.raw_body == body
        assert key == str(event.order.id).encode()
    if not signed:
        assert status in (200, 401, 413)  # 200 only for a ping


@LAX
@given(
    body=st.binary(max_size=7000),
    extra=st.dictionaries(HEADER_NAMES, HEADER_TEXT, max_size=5),
    signature=st.one_of(st.none(), HEADER_TEXT, st.just("qSzaPwVm8pOjt36uLfOPV+9J9/WGxZwB3nN1BB0Cakc=")),
    path=PATHS,
)
def test_arbitrary_bytes_and_headers(
    body: bytes, extra: dict[str, str], signature: str | None, path: str
) -> None:
    headers = dict(extra)
    if signature is not None:
        headers["X-WC-Webhook-Signature"] = signature
    status, publisher = _post(body, headers, path)
    _check(status, publisher, body, headers)
    assert not publisher.calls


@LAX
@given(order=ORDERISH, topic=TOPICS, extra=st.dictionaries(HEADER_NAMES, HEADER_TEXT, max_size=3), path=PATHS)
def test_validly_signed_json_is_published_or_refused_never_5xx(
    order: dict[str, Any], topic: str, extra: dict[str, str], path: str
) -> None:
    body = json.dumps(order, separators=(",", ":")).encode()
    headers = {**extra, **signed_headers(body, topic=topic)}
    status, publisher = _post(body, headers, path)
    _check(status, publisher, body, headers)
    assert status in (200, 400, 413)
    event(f"status {status}, published {len(publisher.calls)}")


@LAX
@given(cut=st.integers(min_value=0, max_value=len(sample_body()) - 1), flip=st.integers(0, 255))
def test_any_tampering_with_a_signed_sample_is_refused(cut: int, flip: int) -> None:
    original = sample_body()
    tampered = original[:cut] + bytes([original[cut] ^ (flip or 1)]) + original[cut + 1 :]
    status, publisher = _post(tampered, signed_headers(original), "/webhook/woocommerce/order-created")
    assert status == 401
    assert not publisher.calls
