"""The consumer's Prometheus metrics (names are part of the dashboards and alert rules in deploy/).

Labels never carry order data: topic, partition, outcome, error class and retry level only.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter("woo_consumer_records", "Records consumed, by topic", ["topic"])
OUTCOME_NAMES = (
    "written", "skipped_unpaid", "skipped_closed", "skipped_stale", "skipped_unchanged", "closed",
    "booked", "retried", "dead_lettered",
)  # fmt: skip
OUTCOMES = Counter(
    "woo_consumer_outcomes", "What became of each record: " + ", ".join(OUTCOME_NAMES), ["outcome"]
)
for _outcome in OUTCOME_NAMES:
    OUTCOMES.labels(_outcome)  # every outcome's series exists from the start: rate() sees its first one
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
STAGE_SECONDS = Histogram(
    "woo_consumer_stage_seconds",
    "Where a record's time goes, by stage: delivery (receiver to poll loop), queue (waiting for a "
    "worker), slot (waiting for NetSuite request slots), call (NetSuite requests), work (the rest on "
    "the worker), commit (outcome to committed offset)",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
ORDER_AGE_AT_WRITE = Histogram(
    "woo_order_age_at_write_seconds",
    "From the order's creation in WooCommerce (date_created_gmt) to the sales order written in NetSuite",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
)
HALTED = Gauge(
    "woo_consumer_halted",
    "1 while consumption is paused for this reason: credentials, netsuite_outage, dead_letters, forwarding",
    ["reason"],
)
HALTS = Counter("woo_consumer_halts", "Times consumption halted, by reason", ["reason"])
PROBE_FAILURES = Counter(
    "woo_consumer_probe_failures",
    "Failed probes of a halted member (credentials or outage), by reason and error class",
    ["reason", "error_class"],
)
PERMISSION_PARKED = Counter(
    "woo_consumer_permission_parked",
    "Writes refused with 403 although the credential probe passed: parked in the last retry topic",
)
RECORD_BUGS = Counter(
    "woo_consumer_record_bugs",
    "Records that met an unexpected exception (a bug) and were dead-lettered, by exception type",
    ["error_class"],
)
READY = Gauge(
    "woo_consumer_ready", "1 when this member is in the group, owns its partitions and is not halted"
)
MEMORY_READ = Counter(
    "woo_consumer_memory_read",
    "Changelog entries read into memory (restores and other members' changes), by kind: order, customer",
    ["kind"],
)
MEMORY_PUBLISH_FAILURES = Counter(
    "woo_consumer_memory_publish_failures",
    "Memory changes the broker did not take (customer memory then stops counting as complete)",
)
MEMORY_RESTORE_SECONDS = Gauge(
    "woo_consumer_memory_restore_seconds", "How long the last start-up read of the customer memory took"
)
MEMORY_UNREADABLE = Counter(
    "woo_consumer_memory_unreadable", "Changelog entries that could not be read (skipped, counted)"
)
