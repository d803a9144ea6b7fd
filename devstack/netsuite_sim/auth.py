"""Token-Based Authentication as NetSuite checks it: OAuth 1.0a, HMAC-SHA256, realm = account id.

The signature is recomputed with oauthlib's own RFC 5849 functions (base string URI from the Host
header and the raw path, every oauth_* parameter but the signature, plus the query parameters; a
JSON body is not signed), so the simulator agrees with any correct client and with nothing else.
Every failure is the same opaque 401 INVALID_LOGIN, as NetSuite gives no hint which part was wrong.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable

from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature as oauth_signature
from oauthlib.oauth1.rfc5849 import utils as oauth_utils

from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.errors import invalid_login

_REQUIRED = (
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
)


class NonceCache:
    """Nonces seen within the timestamp window; a replayed request is refused."""

    def __init__(self, window_s: float) -> None:
        self._window_s = window_s
        self._seen: dict[tuple[str, str, str], float] = {}
        self._lock = threading.Lock()

    def first_use(self, consumer_key: str, token: str, nonce: str, now: float) -> bool:
        with self._lock:
            if len(self._seen) > 10_000:
                cutoff = now - 2 * self._window_s
                self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
            key = (consumer_key, token, nonce)
            seen_at = self._seen.get(key)
            if seen_at is not None and now - seen_at <= 2 * self._window_s:
                return False
            self._seen[key] = now
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


class OAuthVerifier:
    def __init__(self, config: SimulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self._config = config
        self._clock = clock
        self.nonces = NonceCache(config.timestamp_window_s)

    def verify(self, method: str, host: str, raw_path: str, authorization: str | None) -> None:
        """Raise ApiError(401 INVALID_LOGIN) unless the request is correctly signed and fresh."""
        reason = self._check(method, host, raw_path, authorization)
        if reason is not None:
            raise invalid_login(reason)

    def _check(self, method: str, host: str, raw_path: str, authorization: str | None) -> str | None:
        """None when valid, else a short reason (for the simulator's own debug log only)."""
        cfg = self._config
        if not authorization or not authorization.lower().startswith("oauth "):
            return "no OAuth Authorization header"
        try:
            params = dict(oauth_utils.parse_authorization_header(authorization))
        except ValueError:
            return "malformed Authorization header"
        if any(not params.get(name) for name in _REQUIRED):
            return "missing oauth parameter"
        if params.get("realm") != cfg.account_id:
            return "realm is not the account id"
        if params.get("oauth_version", "1.0") != "1.0":
            return "oauth_version is not 1.0"
        if params["oauth_signature_method"] != "HMAC-SHA256":
            return "signature method is not HMAC-SHA256"
        consumer_key = oauth_utils.unescape(params["oauth_consumer_key"])
        token = oauth_utils.unescape(params["oauth_token"])
        if not (_same(consumer_key, cfg.consumer_key) and _same(token, cfg.token_id)):
            return "unknown consumer key or token"
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError:
            return "timestamp is not an integer"
        now = self._clock()
        if abs(now - timestamp) > cfg.timestamp_window_s:
            return "timestamp outside the window"
        nonce = oauth_utils.unescape(params["oauth_nonce"])
        if len(nonce) < 6:
            return "nonce too short"
        path, _, query = raw_path.partition("?")
        try:
            collected = oauth_signature.collect_parameters(
                uri_query=query, headers={"Authorization": authorization}, exclude_oauth_signature=True
            )
            base_uri = oauth_signature.base_string_uri(f"http://{host}{path}")
        except ValueError:
            return "unreadable query string or URL"
        normalized = oauth_signature.normalize_parameters(collected)  # type: ignore[arg-type]
        base_string = oauth_signature.signature_base_string(method, base_uri, normalized)  # type: ignore[arg-type]
        secrets = Client(
            cfg.consumer_key, client_secret=cfg.consumer_secret, resource_owner_secret=cfg.token_secret
        )
        expected = str(oauth_signature.sign_hmac_sha256_with_client(base_string, secrets))  # type: ignore[no-untyped-call]
        if not _same(oauth_utils.unescape(params["oauth_signature"]), expected):
            return "signature mismatch"
        # Only a correctly signed request consumes its nonce, so forgeries cannot burn real ones.
        if not self.nonces.first_use(consumer_key, token, nonce, now):
            return "nonce reused"
        return None


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
