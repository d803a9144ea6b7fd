"""The poll loop of one group member: the only thread that touches the Kafka consumer.

Each turn: surface a worker's crash, apply pauses (retry-topic holds, auth halt, backpressure),
consume a batch, hand each record to the keyed executor (parallel across orders, sequential within
one), and every `commit_interval` commit the contiguous prefix of finished offsets. On revoke it
waits for the revoked partitions' in-flight records and commits them; on shutdown it stops
fetching, lets in-flight work finish (bounded), commits and leaves the group.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition

from common import headers as h
from consumer import metrics
from consumer.lag import LagReporter
from consumer.netsuite.governor import Governor
from consumer.pipeline.forward import SourceRecord
from consumer.pipeline.halt import AuthHalt
from consumer.pipeline.handle import RecordHandler
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.keyed_executor import KeyedExecutor
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.offsets import TopicPartitionKey as TP

log = logging.getLogger(__name__)


class Runner:
    def __init__(
        self,
        consumer_config: dict[str, Any],
        topics: list[str],
        retry_topics: set[str],
        handler: RecordHandler,
        *,
        governor: Governor,
        halt: AuthHalt,
        memory: WriteMemory,
        stop: threading.Event,
        workers: int,
        max_buffered: int,
        commit_interval_s: float = 1.0,
        drain_timeout_s: float = 30.0,
        lag_interval_s: float = 15.0,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._consumer = Consumer(
            {**consumer_config, "error_cb": self._on_error, "on_commit": self._on_commit}
        )
        self._topics, self._retry_topics = topics, retry_topics
        self._handler, self._governor, self._halt = handler, governor, halt
        self._memory, self._stop = memory, stop
        self._executor = KeyedExecutor(workers)
        self._tracker, self._holds = OffsetTracker(), DueTimeHolds()
        self._max_buffered, self._commit_interval_s = max_buffered, commit_interval_s
        self._drain_timeout_s, self._now_ms = drain_timeout_s, now_ms
        self._assigned: set[TP] = set()
        self._epochs: dict[TP, int] = {}  # bumped on every assignment: a record knows whose it was
        self._shutting_down = False
        self._paused: set[TP] = set()
        self._fatal: BaseException | None = None
        self._total_partitions = 0
        self.assigned_event = threading.Event()
        self._lag = LagReporter(consumer_config, lambda: set(self._assigned), interval_s=lag_interval_s)

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> None:
        self._consumer.subscribe(
            self._topics, on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost
        )
        metrics.READY.set(1)
        self._lag.start()
        last_commit = time.monotonic()
        try:
            while not self._stop.is_set():
                if self._fatal is not None:
                    raise self._fatal
                self._apply_pauses()
                for msg in self._consumer.consume(num_messages=500, timeout=0.1):
                    self._dispatch(msg)
                if time.monotonic() - last_commit >= self._commit_interval_s:
                    self._commit(asynchronous=True)
                    self._lag.publish(self._assigned)
                    last_commit = time.monotonic()
        finally:
            self._shutdown()
        if self._fatal is not None:  # a worker's bug stopped the loop: crash loudly, not exit 0
            raise self._fatal

    def _dispatch(self, msg: Message) -> None:
        error = msg.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("consume error: %s", error.name())
            return
        topic, partition, offset = msg.topic() or "", msg.partition() or 0, msg.offset() or 0
        tp = (topic, partition)
        if tp not in self._assigned or self._holds.is_held(tp):
            return  # fetched before a pause/seek took effect: it will come again
        headers = _headers(msg)
        if topic in self._retry_topics:
            due = _due_at_ms(headers)
            if due is not None and due > self._now_ms():
                self._hold(tp, offset, due)
                return
        metrics.RECORDS.labels(topic).inc()
        record = SourceRecord(topic, partition, offset, msg.key(), msg.value() or b"", headers)
        self._tracker.add(tp, offset)
        metrics.IN_FLIGHT.inc()
        epoch = self._epochs.get(tp, 0)
        self._executor.submit(
            msg.key() or f"{topic}:{partition}".encode(), lambda: self._run_one(record, epoch)
        )

    def assigned_partitions(self) -> set[TP]:
        return set(self._assigned)

    def held_partitions(self) -> set[TP]:
        return self._holds.held()

    def owns(self, tp: TP, epoch: int) -> bool:
        """Still this member's partition, in the assignment the record came from (no zombie writes)."""
        return tp in self._assigned and self._epochs.get(tp) == epoch

    def _run_one(self, record: SourceRecord, epoch: int) -> None:
        tp = (record.topic, record.partition)
        try:
            if self._stop.is_set() or not self.owns(tp, epoch):
                return  # stopping, or the partition moved on: the record is consumed again later
            durable = self._handler.handle(record, lambda: self.owns(tp, epoch))
        except BaseException as exc:  # a bug: crash the member loudly, offsets stay uncommitted
            log.exception("unexpected error on %s/%s@%s", record.topic, record.partition, record.offset)
            self._fatal = exc
            self._stop.set()
            return
        finally:
            metrics.IN_FLIGHT.dec()
        if durable:
            self._tracker.finish((record.topic, record.partition), record.offset)

    def _hold(self, tp: TP, offset: int, due_at_ms: int) -> None:
        part = TopicPartition(tp[0], tp[1], offset)
        self._consumer.pause([part])
        self._paused.add(tp)
        self._consumer.seek(part)
        self._holds.hold(tp, offset, due_at_ms)

    def _apply_pauses(self) -> None:
        self._holds.release_due(self._now_ms())
        if self._halt.halted or self._tracker.in_flight() >= self._max_buffered:
            want = set(self._assigned)
        else:
            want = self._holds.held() & self._assigned
        pause, resume = want - self._paused, (self._paused - want) & self._assigned
        if pause:
            self._consumer.pause([TopicPartition(t, p) for t, p in pause])
        if resume:
            self._consumer.resume([TopicPartition(t, p) for t, p in resume])
        self._paused = want

    # -- commits --------------------------------------------------------------------------
    def _commit(self, *, asynchronous: bool, only: set[TP] | None = None) -> None:
        """Commit finished prefixes; a position counts as committed only once the broker said so."""
        offsets = self._tracker.committable(force=not asynchronous)
        if only is not None:
            offsets = {tp: o for tp, o in offsets.items() if tp in only}
        if not offsets:
            return
        parts = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        try:
            if asynchronous:
                self._consumer.commit(offsets=parts, asynchronous=True)  # acknowledged in _on_commit
            else:
                self._on_commit(None, self._consumer.commit(offsets=parts, asynchronous=False))
        except Exception as exc:  # KafkaException: e.g. during a rebalance; the next commit retries
            log.warning("commit failed: %s", exc)

    def _on_commit(self, error: KafkaError | None, partitions: list[TopicPartition]) -> None:
        if error is not None:
            log.warning("commit failed: %s", error.name())
            return
        done = {(p.topic, p.partition): p.offset for p in partitions if p.error is None and p.offset >= 0}
        self._tracker.mark_committed(done)

    # -- rebalance ------------------------------------------------------------------------
    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        consumer.incremental_assign(partitions)
        # librdkafka keeps a partition's pause flag across revoke and re-assign: a partition that
        # was held or paused when it left must not come back paused with nobody to resume it.
        consumer.resume(partitions)
        for p in partitions:
            tp = (p.topic, p.partition)
            self._epochs[tp] = self._epochs.get(tp, 0) + 1
        self._assigned |= {(p.topic, p.partition) for p in partitions}
        self._reshare()
        self.assigned_event.set()
        log.info("assigned %d partitions (now %d)", len(partitions), len(self._assigned))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(p.topic, p.partition) for p in partitions}
        deadline = time.monotonic() + (0 if self._shutting_down else self._drain_timeout_s)
        while any(self._tracker.in_flight(tp) for tp in revoked) and time.monotonic() < deadline:
            if self._halt.halted or self._fatal is not None:
                break  # halted records are abandoned: they see the partition is gone when they wake
            time.sleep(0.01)  # workers finish the revoked partitions' records; poll on a short beat
        self._commit(asynchronous=False, only=revoked)
        self._forget(revoked)
        log.info("revoked %d partitions (now %d)", len(partitions), len(self._assigned))

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._forget({(p.topic, p.partition) for p in partitions})

    def _forget(self, tps: set[TP]) -> None:
        for tp in tps:
            self._epochs[tp] = self._epochs.get(tp, 0) + 1  # in-flight records of tp become zombies
        self._tracker.forget(list(tps))
        self._holds.forget(list(tps))
        self._assigned -= tps
        self._paused -= tps
        self._memory.clear()  # another member may write these orders now
        for topic, partition in tps:
            with contextlib.suppress(KeyError):
                metrics.LAG.remove(topic, str(partition))
        self._reshare()

    def _reshare(self) -> None:
        if not self._total_partitions:
            md = self._consumer.list_topics(timeout=10)
            self._total_partitions = sum(
                len(md.topics[t].partitions) for t in self._topics if t in md.topics
            ) or len(self._assigned)
        self._governor.set_share(len(self._assigned), max(1, self._total_partitions))

    # -- shutdown -------------------------------------------------------------------------
    def _shutdown(self) -> None:
        log.info("stopping: finishing in-flight records, committing, leaving the group")
        metrics.READY.set(0)
        self._shutting_down = True
        try:
            if self._assigned:
                self._consumer.pause([TopicPartition(t, p) for t, p in self._assigned])
            self._executor.wait_idle(self._drain_timeout_s)
            self._commit(asynchronous=False)
        finally:
            self._lag.close()
            self._executor.shutdown(wait=False)
            self._consumer.close()

    @staticmethod
    def _on_error(error: KafkaError) -> None:
        log.warning("kafka client error: %s", error.str())


def _headers(msg: Message) -> list[tuple[str, bytes]]:
    raw = msg.headers() or []
    items = raw.items() if isinstance(raw, dict) else raw
    return [(k, v.encode() if isinstance(v, str) else (v or b"")) for k, v in items]


def _due_at_ms(headers: list[tuple[str, bytes]]) -> int | None:
    for key, value in headers:
        if key == h.DUE_AT_MS:
            try:
                return int(value.decode())
            except ValueError:
                return None
    return None
