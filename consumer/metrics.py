"""The consumer's Prometheus metrics (names are part of the dashboards and alert rules in deploy/).

Labels never carry order data: topic, partition, outcome, error class and retry level only.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter("woo_consumer_records", "Records consumed, by topic", ["topic"])
OUTCOMES = Counter(
    "woo_consumer_outcomes",
    "What became of each record: written, skipped_unpaid, skipped_closed, skipped_stale, "
    "skipped_unchanged, retried, dead_lettered",
    ["outcome"],
)
RETRIED = Counter("woo_consumer_retried", "Records handed to a retry topic, by retry level", ["level"])
RETRY_SETTLED = Counter(
    "woo_consumer_retry_settled",
    "Records from a retry topic that reached an outcome (written, skipped, handed on, dead-lettered); "
    "retried minus settled is what waits in the retry topics",
)
DEAD_LETTERED = Counter(
    "woo_consumer_dead_lettered", "Records dead-lettered, by error class", ["error_class"]
)
CALL_RETRIES = Counter(
    "woo_consumer_call_retries", "NetSuite calls repeated in-process after a retryable error", ["error_class"]
)
IN_FLIGHT = Gauge("woo_consumer_in_flight_records", "Records being processed now")
LAG = Gauge("woo_consumer_partition_lag", "High watermark minus committed offset", ["topic", "partition"])
END_TO_END = Histogram(
    "woo_order_end_to_end_seconds",
    "From the receiver accepting the webhook to the sales order written in NetSuite",
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600),
)
ORDER_AGE_AT_WRITE = Histogram(
    "woo_order_age_at_write_seconds",
    "From the order's creation in WooCommerce (date_created_gmt) to the sales order written in NetSuite",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
)
HALTED = Gauge(
    "woo_consumer_halted", "1 while consumption is paused because NetSuite refuses our credentials"
)
AUTH_HALTS = Counter(
    "woo_consumer_auth_halts", "Times consumption halted because NetSuite refused our credentials"
)
PERMISSION_HOLDS = Counter(
    "woo_consumer_permission_holds",
    "Writes refused with 403 although the credential probe passed: the record is held and retried",
)
READY = Gauge("woo_consumer_ready", "1 when this member consumes and NetSuite accepts our credentials")
