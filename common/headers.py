"""Kafka header names of the contract (retry and dead-letter metadata, webhook tracing)."""

ATTEMPT = "x-attempt"
ORIGINAL_TOPIC = "x-original-topic"
ORIGINAL_PARTITION = "x-original-partition"
ORIGINAL_OFFSET = "x-original-offset"
ERROR_CLASS = "x-error-class"
ERROR_MESSAGE = "x-error-message"
DUE_AT_MS = "x-due-at-ms"

WEBHOOK_TOPIC = "x-wc-webhook-topic"
WEBHOOK_ID = "x-wc-webhook-id"
WEBHOOK_DELIVERY_ID = "x-wc-webhook-delivery-id"
WEBHOOK_SOURCE = "x-wc-webhook-source"


def header_map(headers: list[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Kafka headers as a dict of text (last value wins); absent values become ''."""
    out: dict[str, str] = {}
    for key, value in headers or []:
        out[key] = value.decode("utf-8", "replace") if value is not None else ""
    return out
