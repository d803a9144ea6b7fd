"""Kafka header names of the contract (retry and dead-letter metadata, webhook tracing)."""

from typing import Any

ATTEMPT = "x-attempt"
ORIGINAL_TOPIC = "x-original-topic"
ORIGINAL_PARTITION = "x-original-partition"
ORIGINAL_OFFSET = "x-original-offset"
ERROR_CLASS = "x-error-class"
ERROR_MESSAGE = "x-error-message"
DUE_AT_MS = "x-due-at-ms"
# set by `python -m consumer redrive` on a record it re-publishes to the main topic; a record that is
# dead-lettered again keeps them, so the dead-letter topic shows how often it was redriven
REDRIVE_COUNT = "x-redrive-count"
REDRIVEN_FROM = "x-redriven-from"  # <dead-letter topic>/<partition>@<offset>
# set by `python -m consumer reconcile` on an order it publishes because the webhook path had not
SOURCE = "x-source"
RECONCILE = b"reconcile"
# set by `python -m consumer audit --repair`: NetSuite differs from what the group remembers writing
# (a sales order deleted or edited there), so the consumer must not trust its memory for this record
REPAIR = "x-repair"

WEBHOOK_TOPIC = "x-wc-webhook-topic"
WEBHOOK_ID = "x-wc-webhook-id"
WEBHOOK_DELIVERY_ID = "x-wc-webhook-delivery-id"
WEBHOOK_SOURCE = "x-wc-webhook-source"


def message_headers(message: Any) -> list[tuple[str, bytes]]:
    """A consumed message's headers as (name, bytes) pairs; absent values become b''."""
    raw = message.headers() or []
    items = raw.items() if isinstance(raw, dict) else raw
    return [(k, v.encode() if isinstance(v, str) else (v or b"")) for k, v in items]


def header_map(headers: list[tuple[str, bytes | None]] | None) -> dict[str, str]:
    """Kafka headers as a dict of text (last value wins); absent values become ''."""
    out: dict[str, str] = {}
    for key, value in headers or []:
        out[key] = value.decode("utf-8", "replace") if value is not None else ""
    return out
