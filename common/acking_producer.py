"""A producer whose `send` returns only when the broker acknowledged the record (or raises).

One confluent-kafka `Producer` (idempotent, acks=all) is shared by many threads; a background
thread serves delivery callbacks, and each caller waits on its own event with a deadline. This is
how "answer 2xx / commit the offset only after the record is durable" is kept everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, Message, Producer


class ProduceFailed(RuntimeError):
    """The broker did not acknowledge in time, or refused the record."""


@dataclass
class _Delivery:
    done: threading.Event = field(default_factory=threading.Event)
    error: KafkaError | None = None
    offset: int = -1
    partition: int = -1


class AckingProducer:
    def __init__(self, config: dict[str, Any]) -> None:
        self._producer = Producer(config)
        self._closing = threading.Event()
        self._poller = threading.Thread(target=self._serve_callbacks, name="producer-poll", daemon=True)
        self._poller.start()

    def _serve_callbacks(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.1)

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes,
        headers: Sequence[tuple[str, bytes]],
        *,
        timeout_s: float,
    ) -> tuple[int, int]:
        """Produce and wait for the acknowledgement; return (partition, offset)."""
        delivery = _Delivery()

        def on_delivery(err: KafkaError | None, msg: Message) -> None:
            delivery.error = err
            if err is None:
                delivery.partition = msg.partition() or 0
                delivery.offset = msg.offset() or 0
            delivery.done.set()

        try:
            self._producer.produce(
                topic, value=value, key=key, headers=list(headers), on_delivery=on_delivery
            )
        except BufferError as exc:
            raise ProduceFailed("producer queue is full") from exc
        except Exception as exc:  # KafkaException for unknown topic in some configs, etc.
            raise ProduceFailed(f"produce refused: {exc}") from exc
        if not delivery.done.wait(timeout_s):
            raise ProduceFailed(f"no acknowledgement within {timeout_s}s")
        if delivery.error is not None:
            raise ProduceFailed(f"broker refused the record: {delivery.error.name()}")
        return delivery.partition, delivery.offset

    def flush(self, timeout_s: float) -> int:
        """Wait for outstanding deliveries; return how many are still not delivered."""
        return int(self._producer.flush(timeout_s))

    def close(self, timeout_s: float = 10.0) -> int:
        remaining = self.flush(timeout_s)
        self._closing.set()
        self._poller.join(timeout=2)
        return remaining
