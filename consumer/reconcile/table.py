"""What `reconcile` knows, kept in Kafka — `<ORDERS_TOPIC>.reconcile`, compacted — never on local disk.

Any pod can run it, and a second run (or a second pod) starts from what the first one wrote:

| key          | value (JSON)                             | meaning                                    |
|--------------|------------------------------------------|--------------------------------------------|
| `<order id>` | `{"v": date_modified_gmt, "by": source}` | the newest version of the order published  |
|              |                                          | to the main topic (webhook, redrive, reconcile) |
| `main/<p>`   | `{"offset": n}`                          | main-topic partition p was read up to n    |
| `watermark`  | `{"cutoff": "<ISO UTC>"}`                | every order modified up to then was handled |

Reading keeps the greatest value per key (versions, offsets and watermarks only move forward), so two
pods writing at once can only make a later pass re-read or re-publish something — never skip it.
Order entries are written for what the main topic shows (`tail.py`) and for what reconcile publishes;
positions are written only after the entries up to them were acknowledged, the watermark only after
the whole pass was.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from consumer.reconcile.follow import Follower

log = logging.getLogger(__name__)
WATERMARK = b"watermark"
_POSITION = "main/"


class TableWriteFailed(Exception):
    """The broker did not take a change: the pass must not move the watermark past it."""


class PublishedTable:
    def __init__(
        self, client_config: dict[str, Any], producer_config: dict[str, Any], topic: str, timeout_s: float
    ) -> None:
        self.topic = topic
        self._reader = Follower(client_config, topic, timeout_s)
        try:
            self._reader.start({})
        except BaseException:  # the broker went away between the two requests
            self._reader.close()
            raise
        self._producer = Producer({**producer_config, "client.id": "woo-reconcile-table"})
        self._versions: dict[int, str] = {}
        self.positions: dict[int, int] = {}
        self.watermark: datetime | None = None
        self._failed: list[str] = []

    def __len__(self) -> int:
        return len(self._versions)

    def catch_up(self) -> None:
        """Apply what every pod wrote since the last call (all of it, the first time)."""
        self._reader.catch_up(self._apply)

    def version(self, order_id: int) -> str | None:
        return self._versions.get(order_id)

    def record(self, order_id: int, version: str, source: str) -> bool:
        """Remember that `version` of the order reached the main topic; False when not newer."""
        if version <= self._versions.get(order_id, ""):
            return False
        self._versions[order_id] = version
        self._produce(str(order_id).encode(), {"v": version, "by": source})
        return True

    def save_positions(self, positions: dict[int, int]) -> None:
        self.flush()  # the entries they cover first
        for partition, offset in positions.items():
            if offset > self.positions.get(partition, -1):
                self.positions[partition] = offset
                self._produce(f"{_POSITION}{partition}".encode(), {"offset": offset})
        self.flush()

    def save_watermark(self, cutoff: datetime) -> None:
        self.flush()
        if self.watermark is None or cutoff > self.watermark:
            self.watermark = cutoff
        self._produce(WATERMARK, {"cutoff": cutoff.isoformat()})
        self.flush()

    def flush(self, timeout_s: float = 30.0) -> None:
        left = self._producer.flush(timeout_s)
        failed, self._failed = self._failed, []
        if left or failed:
            raise TableWriteFailed(f"{self.topic}: {left} change(s) unacknowledged, failed: {failed[:3]}")

    def close(self) -> None:
        self._reader.close()
        self._producer.flush(10)

    def _produce(self, key: bytes, value: dict[str, Any]) -> None:
        self._producer.produce(self.topic, json.dumps(value).encode(), key, on_delivery=self._delivered)
        self._producer.poll(0)

    def _delivered(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self._failed.append(error.name())

    def _apply(self, message: Message) -> None:
        key, value = message.key() or b"", message.value()
        if value is None:
            return
        try:
            data = json.loads(value)
            if key == WATERMARK:
                cutoff = datetime.fromisoformat(data["cutoff"])
                self.watermark = cutoff if self.watermark is None else max(self.watermark, cutoff)
            elif key.startswith(_POSITION.encode()):
                partition = int(key[len(_POSITION) :])
                self.positions[partition] = max(self.positions.get(partition, -1), int(data["offset"]))
            else:
                order_id, version = int(key), str(data["v"])
                if version > self._versions.get(order_id, ""):
                    self._versions[order_id] = version
        except (ValueError, KeyError, TypeError):
            log.warning(
                "%s: unreadable entry at %s@%s, skipped", self.topic, message.partition(), message.offset()
            )
