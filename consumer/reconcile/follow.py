"""Read one topic to its end on demand, from chosen offsets, without joining a consumer group.

`reconcile` reads two topics this way: its own compacted topic from the start, and the main topic
from where it stopped last time. "The end" is each partition's high watermark when `catch_up` is
called; progress is the consumer's position (which steps over compaction gaps and control records),
so a partition is done when its position reaches that watermark.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from consumer.topics import BrokerUnreachable

log = logging.getLogger(__name__)


class Follower:
    def __init__(self, client_config: dict[str, Any], topic: str, timeout_s: float) -> None:
        self.topic, self._timeout_s = topic, timeout_s
        self._consumer = Consumer(
            {
                **client_config,
                "group.id": f"woo-reconcile-{uuid.uuid4().hex[:8]}",  # never joins, never commits
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "fetch.wait.max.ms": 100,
                # between passes nothing is read: bound what librdkafka prefetches meanwhile
                "queued.max.messages.kbytes": 16384,
            }
        )
        try:
            metadata = self._consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        except KafkaException:  # no broker answered: one line naming the variables, as `redrive`'s reader
            self._consumer.close()
            raise BrokerUnreachable(timeout_s) from None
        if metadata is None or metadata.error is not None:
            self._consumer.close()
            raise LookupError(f"topic {topic} not found — create it with `python -m consumer topics`")
        self.partitions = sorted(metadata.partitions)
        self._next: dict[int, int] = {}

    def bounds(self, partition: int, *, cached: bool = False) -> tuple[int, int]:
        """(low, high) watermarks from the broker; `cached`: as the last fetch response said (no round
        trip; the end may be a fetch behind — fine where being a record late only repeats work)."""
        tp = TopicPartition(self.topic, partition)
        if cached:
            low, high = self._consumer.get_watermark_offsets(tp, cached=True)
            if high >= 0:
                return int(low), int(high)
        low, high = self._consumer.get_watermark_offsets(tp, timeout=self._timeout_s)
        return int(low), int(high)

    def offsets_at(self, timestamp_ms: int) -> dict[int, int]:
        """Per partition, the first offset at or after `timestamp_ms` (the end when there is none)."""
        wanted = [TopicPartition(self.topic, p, timestamp_ms) for p in self.partitions]
        found = self._consumer.offsets_for_times(wanted, timeout=self._timeout_s)
        return {tp.partition: tp.offset if tp.offset >= 0 else self.bounds(tp.partition)[1] for tp in found}

    def start(self, offsets: dict[int, int]) -> None:
        """Read each partition from `offsets[p]` (from its first retained record when absent or gone)."""
        assignment = []
        for p in self.partitions:
            low, high = self.bounds(p)
            at = min(max(offsets.get(p, low), low), high)
            self._next[p] = at
            assignment.append(TopicPartition(self.topic, p, at))
        self._consumer.assign(assignment)

    def catch_up(self, apply: Callable[[Message], None], *, cached: bool = False) -> dict[int, int]:
        """Apply every record up to the ends as of now (as of the last fetch with `cached`); returns
        the next offset per partition."""
        ends = {p: self.bounds(p, cached=cached)[1] for p in self.partitions}
        deadline = time.monotonic() + self._timeout_s
        while any(self._next[p] < ends[p] for p in self.partitions):
            for message in self._consumer.consume(num_messages=1000, timeout=0.05):
                error = message.error()
                if error is not None:
                    log.warning("reading %s: %s", self.topic, error.name())
                    continue
                partition, offset = message.partition() or 0, message.offset() or 0
                apply(message)
                self._next[partition] = max(self._next[partition], offset + 1)
            positions = self._consumer.position([TopicPartition(self.topic, p) for p in self.partitions])
            for tp in positions:
                if tp.offset >= 0:
                    self._next[tp.partition] = max(self._next[tp.partition], tp.offset)
            if time.monotonic() > deadline:
                raise TimeoutError(f"could not read {self.topic} to its end within {self._timeout_s:.0f}s")
        return dict(self._next)

    def close(self) -> None:
        self._consumer.close()
