"""WooCommerce's webhook signature: base64(HMAC-SHA256(key, raw body)).

WooCommerce signs with `wp_specialchars_decode($secret, ENT_QUOTES)` as the key, so a secret stored
as `a&amp;b` signs with `a&b`. `wp_specialchars_decode` is mirrored exactly (WordPress
wp-includes/formatting.php), no more: only `&`, `<`, `>`, `"` and `'` in the spellings below are
decoded; `&nbsp;`, `&AMP;`, `&#65;` and friends stay as they are, and one pass only
(`&amp;amp;` → `&amp;`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Literal

# Step 1 (preg_replace, in this order): drop zero padding of the numeric forms it knows.
_PADDING = (
    (re.compile(r"&#0*39;"), "&#039;"),
    (re.compile(r"&#x0*27;", re.IGNORECASE), "&#x27;"),
    (re.compile(r"&#0*34;"), "&#034;"),
    (re.compile(r"&#x0*22;", re.IGNORECASE), "&#x22;"),
    (re.compile(r"&#0*60;"), "&#060;"),
    (re.compile(r"&#0*62;"), "&#062;"),
    (re.compile(r"&#0*38;"), "&#038;"),
    (re.compile(r"&#x0*26;", re.IGNORECASE), "&#x26;"),
)
# Step 2 (strtr): one left-to-right pass, replaced text is never looked at again.
_TRANSLATION = {
    "&#039;": "'",
    "&#x27;": "'",
    "&quot;": '"',
    "&#034;": '"',
    "&#x22;": '"',
    "&lt;": "<",
    "&#060;": "<",
    "&gt;": ">",
    "&#062;": ">",
    "&amp;": "&",
    "&#038;": "&",
    "&#x26;": "&",
}
_TRANSLATE = re.compile("|".join(re.escape(k) for k in sorted(_TRANSLATION, key=len, reverse=True)))


def wp_specialchars_decode(text: str) -> str:
    """WordPress's `wp_specialchars_decode($text, ENT_QUOTES)`."""
    if "&" not in text:
        return text
    for pattern, replacement in _PADDING:
        text = pattern.sub(replacement, text)
    return _TRANSLATE.sub(lambda m: _TRANSLATION[m.group(0)], text)


def signing_key(stored_secret: str) -> bytes:
    """The HMAC key WooCommerce uses for a secret as stored in its database."""
    return wp_specialchars_decode(stored_secret).encode("utf-8")


def sign(key: bytes, body: bytes) -> str:
    """The `X-WC-Webhook-Signature` value for `body` (what WooCommerce sends)."""
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class Match:
    """A verified signature: which secret made it, and the signature itself.

    `signature` is base64(HMAC-SHA256(key, body)): a keyed hash of the exact body, already computed,
    so the door's replay filter (receiver.replays) uses it as the body's key at no extra cost.
    """

    secret: Literal["current", "previous"]
    signature: bytes


class SignatureVerifier:
    """Checks `X-WC-Webhook-Signature` over the exact body bytes in constant time.

    During a secret rotation two secrets are accepted: the current one and `previous`. Each is a
    separate HMAC and a separate `hmac.compare_digest`; the previous secret is tried only when the
    current one does not match, so outside a rotation (and for every delivery already signed with
    the new secret) a request costs one HMAC. Which secret matched is not secret: nobody without one
    of them can produce a match at all.
    """

    def __init__(self, stored_secret: str, previous_secret: str | None = None) -> None:
        self._macs: list[tuple[Literal["current", "previous"], hmac.HMAC]] = [
            ("current", hmac.new(signing_key(stored_secret), digestmod=hashlib.sha256))
        ]
        if previous_secret:
            self._macs.append(("previous", hmac.new(signing_key(previous_secret), digestmod=hashlib.sha256)))

    def expected(self, body: bytes) -> bytes:
        """The signature the current secret gives `body` (base64, as WooCommerce sends it)."""
        return _signature(self._macs[0][1], body)

    def verify(self, body: bytes, signature: str | None) -> Match | None:
        """The matching secret and signature, or None when no accepted secret signed `body`."""
        if not signature:
            return None
        try:
            provided = signature.strip().encode("ascii")
        except UnicodeEncodeError:
            return None
        for name, mac in self._macs:
            expected = _signature(mac, body)
            if hmac.compare_digest(expected, provided):
                return Match(name, expected)
        return None


# hashlib lets go of the GIL for every update of 2048 bytes or more (HASHLIB_GIL_MINSIZE). A receiver
# thread that lets go of it while its siblings wait must queue to take it back: a context switch
# each way, for ~4 us of hashing. Pieces below the threshold keep it.
_PIECE = 2047


def _signature(mac: hmac.HMAC, body: bytes) -> bytes:
    mac = mac.copy()
    if len(body) <= _PIECE:
        mac.update(body)
    else:
        view = memoryview(body)
        for start in range(0, len(body), _PIECE):
            mac.update(view[start : start + _PIECE])
    return base64.b64encode(mac.digest())
