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

from confluent_kafka import Consumer, KafkaException, TopicPartition

from consumer import metrics
from consumer.pipeline.offsets import TopicPartitionKey as TP

log = logging.getLogger(__name__)


class LagReporter:
    def __init__(
        self,
        consumer_config: dict[str, Any],
        assigned: Callable[[], set[TP]],
        stop: threading.Event,
        *,
        interval_s: float = 15.0,
        timeout_s: float = 5.0,
    ) -> None:
        config = {k: v for k, v in consumer_config.items() if not callable(v)}
        config["client.id"] = f"{config.get('client.id', 'woo-consumer')}-lag"
        self._config = config
        self._assigned, self._stop = assigned, stop
        self._interval_s, self._timeout_s = interval_s, timeout_s
        self._thread = threading.Thread(target=self._run, name="lag-reporter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def client(self) -> Consumer:
        """The reporter's own client: the group's config without callbacks; it never subscribes."""
        return Consumer(self._config)

    def _run(self) -> None:
        client = self.client()
        try:
            while not self._stop.wait(self._interval_s):
                try:
                    self.report_once(client)
                except KafkaException as exc:
                    log.warning("lag not measured this round: %s", exc)
        finally:
            client.close()

    def report_once(self, client: Consumer) -> dict[TP, int]:
        """Measure and export the lag of every partition assigned now; returns what was set."""
        tps = sorted(self._assigned())
        if not tps:
            return {}
        committed = client.committed([TopicPartition(t, p) for t, p in tps], timeout=self._timeout_s)
        out: dict[TP, int] = {}
        for c in committed:
            low, high = client.get_watermark_offsets(
                TopicPartition(c.topic, c.partition), timeout=self._timeout_s, cached=False
            )
            position = c.offset if c.offset >= 0 else low
            out[(c.topic, c.partition)] = max(0, high - position)
        still = self._assigned()  # a partition revoked meanwhile has had its series removed
        for (topic, partition), lag in out.items():
            if (topic, partition) in still:
                metrics.LAG.labels(topic, str(partition)).set(lag)
        return out
