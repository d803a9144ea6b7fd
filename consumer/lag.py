"""Partition lag for Prometheus: the high watermark minus the group's committed offset.

Measured from the broker, not from this member's memory, so a partition this member has not
committed on yet (just assigned, halted on credentials, idle) reports its lag too, and a paused
partition's high watermark is fresh (librdkafka's cached one stops moving while a partition is
paused, e.g. a retry topic holding a record until its due time). It runs on its own thread with
its own client (same group id, never joins the group), so a slow broker answer never holds up the
poll loop. A partition the group never committed on counts from its low watermark.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from common.kafka_settings import unpolled
from consumer import metrics
from consumer.pipeline.offsets import TopicPartitionKey as TP

log = logging.getLogger(__name__)


class LagReporter:
    """Measures on its own thread; `publish`, called on the poll thread — where revokes remove a
    partition's series — exports the latest figures of the partitions still assigned, so a
    measurement can never bring back the series of a partition that has moved on."""

    def __init__(
        self,
        consumer_config: dict[str, Any],
        assigned: Callable[[], set[TP]],
        *,
        interval_s: float = 15.0,
        timeout_s: float = 5.0,
    ) -> None:
        self._config = unpolled(consumer_config, "lag")
        self._assigned = assigned
        self._interval_s, self._timeout_s = interval_s, timeout_s
        self._closing = threading.Event()
        self._lock = threading.Lock()
        self._latest: dict[TP, int] = {}
        self._thread = threading.Thread(target=self._run, name="lag-reporter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._closing.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2 * self._timeout_s + 1)

    def client(self) -> Consumer:
        """The reporter's own client: the group's config without callbacks; it never subscribes."""
        return Consumer(self._config)

    def _run(self) -> None:
        client = self.client()
        try:
            while not self._closing.wait(self._interval_s):
                try:
                    self.refresh(client)
                except Exception as exc:  # a failed round must not end the thread (frozen gauges)
                    log.warning("lag not measured this round: %s", exc)
        finally:
            client.close()

    def refresh(self, client: Consumer) -> dict[TP, int]:
        """One round: measure, and keep the figures for the next `publish`."""
        measured = self.measure(client)
        with self._lock:
            self._latest = measured
        return measured

    def measure(self, client: Consumer) -> dict[TP, int]:
        """Lag of every partition assigned now; partitions the broker did not answer for are left out."""
        tps = sorted(self._assigned())
        if not tps:
            return {}
        out: dict[TP, int] = {}
        for c in client.committed([TopicPartition(t, p) for t, p in tps], timeout=self._timeout_s):
            if c.error is not None:
                continue
            watermarks = client.get_watermark_offsets(
                TopicPartition(c.topic, c.partition), timeout=self._timeout_s, cached=False
            )
            if watermarks is None:  # timed out
                continue
            low, high = watermarks
            position = c.offset if c.offset >= 0 else low
            out[(c.topic, c.partition)] = max(0, high - position)
        return out

    def publish(self, assigned: set[TP]) -> dict[TP, int]:
        """Export the latest measurements of partitions still assigned (call on the poll thread)."""
        with self._lock:
            latest, self._latest = self._latest, {}
        out = {tp: lag for tp, lag in latest.items() if tp in assigned}
        for (topic, partition), lag in out.items():
            metrics.LAG.labels(topic, str(partition)).set(lag)
        return out
