"""The receiver's producer settings (the publisher itself is shared: `common.publisher`)."""

from __future__ import annotations

import logging
from typing import Any

from common.publisher import Delivery, Headers, KafkaPublisher, Publisher, PublishError
from receiver.settings import ReceiverSettings

__all__ = ["Delivery", "Headers", "KafkaPublisher", "PublishError", "Publisher", "producer_config"]


def producer_config(settings: ReceiverSettings) -> dict[str, Any]:
    """The receiver's producer: the shared durable config plus bounded timeouts."""
    timeout_ms = int(settings.receiver_produce_timeout_s * 1000)
    return {
        **settings.producer_config(linger_ms=settings.receiver_linger_ms, delivery_timeout_ms=timeout_ms),
        "client.id": "woo-receiver",
        "logger": logging.getLogger("receiver.kafka"),  # librdkafka's lines as JSON logs, not stderr
        # The Avro value carries the raw body next to the parsed order; lz4 shrinks what goes on the wire.
        "message.max.bytes": max(1_000_000, 3 * settings.receiver_max_body_bytes + 65_536),
        "reconnect.backoff.max.ms": 1000,  # find a returning broker within a second, not ten
    }
