"""Hand a failed record to the next retry topic or to the dead-letter topic, durably.

Key and value are kept byte for byte; the contract's headers say where it came from, how often it
failed and why. `x-original-*` always name the record on the main topic, however deep the chain.
The offset of the failed record is committed only after this produce was acknowledged.
"""

from __future__ import annotations

from dataclasses import dataclass

from common import headers as h
from common.publisher import Publisher
from consumer.pipeline.route import Forward

MAX_MESSAGE_CHARS = 1000  # a header, not a log: NetSuite's detail is kept, but bounded


@dataclass(frozen=True)
class SourceRecord:
    """What forwarding needs of the consumed record."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]


def forward_headers(
    record: SourceRecord, route: Forward, error_class: str, message: str, *, first_hop: bool
) -> list[tuple[str, bytes]]:
    """The record's own headers, minus ours, plus where it came from and why it failed (`message`
    must already be free of personal data: `consumer.pipeline.redact`). On its first hop (from the
    main topic) the origin is the record itself, whatever `x-original-*` it may carry."""
    previous = {} if first_hop else {k: v for k, v in record.headers}
    keep = [
        (k, v)
        for k, v in record.headers
        if k not in {h.ATTEMPT, h.ERROR_CLASS, h.ERROR_MESSAGE, h.DUE_AT_MS}
        and k not in {h.ORIGINAL_TOPIC, h.ORIGINAL_PARTITION, h.ORIGINAL_OFFSET}
    ]
    origin = [
        (h.ORIGINAL_TOPIC, previous.get(h.ORIGINAL_TOPIC, record.topic.encode())),
        (h.ORIGINAL_PARTITION, previous.get(h.ORIGINAL_PARTITION, str(record.partition).encode())),
        (h.ORIGINAL_OFFSET, previous.get(h.ORIGINAL_OFFSET, str(record.offset).encode())),
    ]
    meta = [
        (h.ATTEMPT, str(route.attempt).encode()),
        (h.ERROR_CLASS, error_class.encode()),
        (h.ERROR_MESSAGE, message[:MAX_MESSAGE_CHARS].encode("utf-8", "replace")),
    ]
    if route.due_at_ms is not None:
        meta.append((h.DUE_AT_MS, str(route.due_at_ms).encode()))
    return keep + origin + meta


class Forwarder:
    def __init__(self, producer: Publisher, main_topic: str, *, timeout_s: float = 30.0) -> None:
        self._producer = producer
        self._main_topic = main_topic
        self._timeout_s = timeout_s

    def forward(self, record: SourceRecord, route: Forward, error_class: str, message: str) -> None:
        """Raises `PublishError` when the broker does not acknowledge: the offset stays uncommitted."""
        self._producer.publish(
            route.topic,
            record.key,
            record.value,
            forward_headers(record, route, error_class, message, first_hop=record.topic == self._main_topic),
            self._timeout_s,
        )
