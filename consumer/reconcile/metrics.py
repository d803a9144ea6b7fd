"""`reconcile`'s Prometheus metrics (names in the contract, the dashboard and the alert rules).

Labels carry no order data: the webhook topic, a pass's result, a halt reason.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

MISSED = Counter(
    "woo_reconcile_missed_orders",
    "Orders reconcile published because the main topic had no webhook (or other) delivery of that "
    "version: what the webhook path missed",
)
LISTED = Counter("woo_reconcile_orders_listed", "Orders the WooCommerce REST API listed to reconcile passes")
INVALID = Counter(
    "woo_reconcile_invalid_orders",
    "Orders the REST API returned that could not be published: the receiver would refuse them too (400)",
)
PASSES = Counter("woo_reconcile_passes", "Reconcile passes by result: ok, failed, credentials", ["result"])
PASS_SECONDS = Gauge("woo_reconcile_pass_duration_seconds", "How long the last completed pass took")
WATERMARK_AGE = Gauge(
    "woo_reconcile_watermark_age_seconds",
    "Now minus the watermark (every order modified before it was handled); grows when passes fail",
)
WEBHOOK_ACTIVE = Gauge(
    "woo_reconcile_webhook_active",
    "1 when an active webhook for this topic delivers to the receiver (RECEIVER_PUBLIC_URL), else 0",
    ["topic"],
)
HALTED = Gauge(
    "woo_reconcile_halted",
    "1 while passes stop for this reason: credentials (WooCommerce answered 401/403)",
    ["reason"],
)
for _result in ("ok", "failed", "credentials"):
    PASSES.labels(_result)
HALTED.labels("credentials").set(0)
