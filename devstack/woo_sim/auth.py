"""Who may call the REST API: WooCommerce's key authentication, as `WC_REST_Authentication` decides.

Source: `includes/class-wc-rest-authentication.php` (`authenticate`, `perform_basic_authentication`,
`check_permissions`) and `wc_rest_check_post_permissions` / `wc_rest_check_manager_permissions`:

| request                                          | answer                                         |
|--------------------------------------------------|------------------------------------------------|
| over plain http (`is_ssl()` false): Basic auth   | 401 `woocommerce_rest_cannot_view`: Basic auth |
| is not read                                      | is never looked at, the caller is anonymous    |
| no key, or a key WooCommerce does not know       | 401 `woocommerce_rest_cannot_view`             |
| a known key with the wrong secret                | 401 `woocommerce_rest_authentication_error`    |
|                                                  | "Consumer secret is invalid."                  |
| a GET with a write-only key (a PUT with a        | 401 `woocommerce_rest_authentication_error`    |
| read-only key)                                   | "... does not have read (write) permissions."  |
| the key's user lacks the capability (shop        | 403 `woocommerce_rest_cannot_view` (logged in, |
| orders, webhooks)                                | so 403, not 401)                               |

The key and secret may also come as `consumer_key`/`consumer_secret` query parameters (HTTPS only).
"""

from __future__ import annotations

import base64
import binascii
import hmac

from devstack.woo_sim.config import WooSimConfig
from devstack.woo_sim.messages import Request, RestError


def _credentials(request: Request) -> tuple[str, str] | None:
    key, secret = request.query.get("consumer_key"), request.query.get("consumer_secret")
    if key and secret:
        return key, secret
    header = request.header("Authorization") or ""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep and user and password else None


def authorize(request: Request, config: WooSimConfig) -> None:
    """Return when the request may proceed; raise WooCommerce's error otherwise."""
    cannot = "Sorry, you cannot list resources." if request.method == "GET" else "Sorry, you are not allowed."
    credentials = _credentials(request) if config.ssl else None
    if credentials is None or not hmac.compare_digest(credentials[0], config.consumer_key):
        raise RestError(401, "woocommerce_rest_cannot_view", cannot)
    if not hmac.compare_digest(credentials[1], config.consumer_secret):
        raise RestError(401, "woocommerce_rest_authentication_error", "Consumer secret is invalid.")
    reading = request.method in ("GET", "HEAD", "OPTIONS")
    needed = "read" if reading else "write"
    if needed not in config.key_permissions:
        raise RestError(
            401,
            "woocommerce_rest_authentication_error",
            f"The API key provided does not have {needed} permissions.",
        )
    if not config.user_can_manage:
        raise RestError(403, "woocommerce_rest_cannot_view", cannot)
