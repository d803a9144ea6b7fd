"""What a WooCommerce simulator instance is: the shop, its REST key, its webhooks, the faults in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DEMO_CONSUMER_KEY = "ck_demo0000000000000000000000000000000000"
DEMO_CONSUMER_SECRET = "cs_demo0000000000000000000000000000000000"
DEMO_WEBHOOK_SECRET = "demo-webhook-s3cret"
# WooCommerce's default for `woocommerce_max_webhook_delivery_failures` (class-wc-webhook.php).
MAX_DELIVERY_FAILURES = 5


@dataclass(frozen=True)
class WebhookConfig:
    """One row of WooCommerce → Settings → Advanced → Webhooks."""

    id: int
    topic: str  # order.created, order.updated, ...
    delivery_url: str
    status: Literal["active", "paused", "disabled"] = "active"
    name: str = ""
    secret: str = DEMO_WEBHOOK_SECRET


@dataclass(frozen=True)
class Faults:
    """Misbehaviour of the REST API (not of webhook deliveries), before authentication, as a proxy or
    WAF in front of WordPress would answer: WooCommerce itself has no rate limit on `wc/v3`."""

    throttle_next_n: int = 0  # the next n REST requests get 429 with Retry-After
    error_next_n: int = 0  # the next n REST requests get 503
    retry_after_s: int = 1

    def __post_init__(self) -> None:
        if min(self.throttle_next_n, self.error_next_n, self.retry_after_s) < 0:
            raise ValueError("fault counts must not be negative")


@dataclass(frozen=True)
class WooSimConfig:
    host: str = "127.0.0.1"
    port: int = 0
    site_url: str = "https://shop.example.com"
    timezone: str = "UTC"  # the site's timezone (Settings → General): a city or UTC+N
    consumer_key: str = DEMO_CONSUMER_KEY
    consumer_secret: str = DEMO_CONSUMER_SECRET
    # "read", "write" or "read_write" (WooCommerce → Settings → Advanced → REST API)
    key_permissions: Literal["read", "write", "read_write"] = "read_write"
    # the key's user holds manage_woocommerce / read_shop_order (an administrator or shop manager)
    user_can_manage: bool = True
    # WordPress's is_ssl(): WooCommerce accepts Basic auth only then (else OAuth 1.0a). True models a
    # site behind a TLS-terminating proxy that forwards X-Forwarded-Proto, which a shop must have.
    ssl: bool = True
    webhooks: tuple[WebhookConfig, ...] = ()
    delivery_timeout_s: float = 10.0  # WooCommerce waits 60 s; a shorter wait keeps tests fast
    faults: Faults = field(default_factory=Faults)
