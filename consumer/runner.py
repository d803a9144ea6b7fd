"""The poll loop of one group member: the only thread that touches the Kafka consumer.

Each turn: surface a member failure, apply pauses (retry-topic due times, halts, partitions over
their uncommitted window, backpressure by records and bytes), consume a batch, hand each record to
the keyed executor (parallel across orders, sequential within one) under a lease on its partition,
and every `commit_interval` commit the contiguous prefix of finished offsets. On revoke it first ends
the revoked partitions' leases (no new NetSuite call can start), waits only for calls already on the
wire, commits what finished and forgets the partitions; on shutdown it stops fetching, lets in-flight
work finish (bounded), commits and leaves the group.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient

from common import headers as h
from common.kafka_logs import KAFKA_LOG
from consumer import metrics
from consumer.lag import LagReporter
from consumer.netsuite.governor import Governor
from consumer.pipeline.changelog import MemoryLog
from consumer.pipeline.forward import SourceRecord
from consumer.pipeline.halt import Halts
from consumer.pipeline.handle import RecordHandler
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.keyed_executor import KeyedExecutor
from consumer.pipeline.lease import Lease, Leases
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.offsets import TopicPartitionKey as TP
from consumer.pipeline.pauses import Pauses
from consumer.pipeline.route import RetryPolicy
from consumer.pipeline.trace import RecordTrace, running
from consumer.pipeline.window import Window
from consumer.rebalance import Rebalance
from consumer.topics import BrokerUnreachable, MissingTopics, reachable

log = logging.getLogger(__name__)
# what a metadata client needs; no `logger`: nobody polls this client, its log lines would queue up
_CONNECTION_KEYS = {"bootstrap", "security", "sasl", "ssl", "client"}


class Runner:
    def __init__(
        self,
        consumer_config: dict[str, Any],
        policy: RetryPolicy,
        handler: RecordHandler,
        *,
        governor: Governor,
        halts: Halts,
        memory: WriteMemory,
        stop: threading.Event,
        workers: int,
        max_buffered: int,
        max_buffered_bytes: int,
        max_uncommitted: int = 5000,
        commit_interval_s: float = 1.0,
        drain_timeout_s: float = 30.0,
        call_timeout_s: float = 70.0,
        lag_interval_s: float = 15.0,
        memory_log: MemoryLog | None = None,
        memory_restore_timeout_s: float = 120.0,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._consumer = Consumer(
            {**consumer_config, "error_cb": self._on_error, "on_commit": self._on_commit}
        )
        self._policy = policy
        self._topics = [policy.main_topic, *policy.retry_topics]
        self._handler, self._halts, self._stop = handler, halts, stop
        self._executor = KeyedExecutor(workers)
        self._tracker, self._holds = OffsetTracker(), DueTimeHolds()
        self.leases = Leases(stop)
        self._max_buffered, self._max_bytes = max_buffered, max_buffered_bytes
        self._window = Window(self._tracker, max_uncommitted)
        self._bytes_lock, self._buffered_bytes = threading.Lock(), 0
        self._commit_interval_s, self._drain_timeout_s = commit_interval_s, drain_timeout_s
        self._now_ms = now_ms
        self._memory_log, self._memory_restore_timeout_s = memory_log, memory_restore_timeout_s
        self._pauses = Pauses(
            self._consumer, self._holds, memory_log.restoring if memory_log is not None else None
        )
        self._fatal: BaseException | None = None
        self.assigned_event = threading.Event()
        self.last_turn = time.monotonic()  # liveness: the loop turns every ~0.1 s
        self._lag = LagReporter(consumer_config, self.leases.assigned, interval_s=lag_interval_s)
        self._metadata = AdminClient(
            {k: v for k, v in consumer_config.items() if k.split(".")[0] in _CONNECTION_KEYS}
        )
        self._rebalance = Rebalance(
            self._metadata,
            self._topics,
            self.leases,
            self._tracker,
            self._holds,
            memory,
            governor,
            commit=self._commit,
            call_timeout_s=call_timeout_s,
            on_change=self._on_assignment_change,
            memory_log=memory_log,
        )

    # -- the loop -------------------------------------------------------------------------
    def run(self) -> None:
        """Raises `BrokerUnreachable`, or `MissingTopics` when a topic it reads or writes does not
        exist, before joining the group."""
        self._check_topics()
        if self._memory_log is not None:
            self._memory_log.start(self._memory_restore_timeout_s)
        r = self._rebalance
        self._consumer.subscribe(self._topics, on_assign=r.assign, on_revoke=r.revoke, on_lost=r.lost)
        self._lag.start()
        last_commit = time.monotonic()
        try:
            while not self._stop.is_set():
                if self._fatal is not None:
                    raise self._fatal
                self.last_turn = time.monotonic()
                metrics.READY.set(int(self.ready))
                self._turn()
                if time.monotonic() - last_commit >= self._commit_interval_s:
                    self._commit(asynchronous=True)
                    self._lag.publish(self.leases.assigned())
                    last_commit = time.monotonic()
        finally:
            self._shutdown()
        if self._fatal is not None:  # a member failure stopped the loop: crash loudly, not exit 0
            raise self._fatal

    def _turn(self) -> None:
        """Apply pauses, fetch, hand records on. What is restoring is read *after* the fetch: the
        rebalance callbacks run inside `consume()`, and a partition assigned there is restoring."""
        with self._bytes_lock:
            full = self._buffered_bytes >= self._max_bytes
        backpressure = self._halts.halted or full or self._tracker.in_flight() >= self._max_buffered
        behind = self._window.behind()
        self._pauses.apply(
            self._rebalance.assigned, all_of_them=backpressure, behind=behind, now_ms=self._now_ms()
        )
        fetched = self._fetched()
        restoring = self._memory_log.restoring() if self._memory_log is not None else set()
        for msg in fetched:
            self._dispatch(msg, restoring)

    def _fetched(self) -> list[Message]:
        """What the client has fetched, up to 500 records, as soon as there is one: `consume(500, t)`
        returns only once it has 500 or `t` passed, which held every record up to 0.1 s."""
        first = self._consumer.consume(num_messages=1, timeout=0.1)
        if not first:
            return first
        return first + self._consumer.consume(num_messages=499, timeout=0)

    @property
    def ready(self) -> bool:
        """In the group (its first assignment arrived, possibly empty) and not halted."""
        return self.assigned_event.is_set() and not self._halts.halted and not self._stop.is_set()

    def assigned_partitions(self) -> set[TP]:
        return self.leases.assigned()

    def held_partitions(self) -> set[TP]:
        return self._holds.held()

    def _check_topics(self) -> None:
        try:
            known = reachable(self._metadata, timeout_s=30).topics
        except BrokerUnreachable:
            self._close_clients()
            raise
        needed = [*self._topics, self._policy.dead_letter_topic, *self._memory_topics()]
        missing = [t for t in needed if t not in known]
        if missing:
            self._close_clients()
            raise MissingTopics(missing)

    def _close_clients(self) -> None:
        self._lag.close()
        self._executor.shutdown(wait=False)
        self._consumer.close()
        if self._memory_log is not None:
            self._memory_log.close()

    def _memory_topics(self) -> list[str]:
        return [] if self._memory_log is None else list(self._memory_log.topics)

    def _on_assignment_change(self, assigned: set[TP]) -> None:
        self._pauses.keep_only(assigned)
        self._window.keep_only(assigned)
        self.assigned_event.set()

    def _dispatch(self, msg: Message, restoring: set[int]) -> None:
        """`restoring`: partition numbers whose order memory is being restored (`MemoryLog`)."""
        error = msg.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("consume error: %s", error.name())
            return
        topic, partition, offset = msg.topic() or "", msg.partition() or 0, msg.offset() or 0
        tp = (topic, partition)
        if tp not in self._rebalance.assigned or self._pauses.stopped(tp):
            return  # fetched before a pause/seek took effect: it will come again
        if partition in restoring:
            self._pauses.gate(tp, offset)
            return
        headers = h.message_headers(msg)
        if topic != self._policy.main_topic:
            now = self._now_ms()
            due = self._policy.due_at_ms(topic, _due_at_ms(headers), msg.timestamp()[1], now)
            if due > now:
                self._pauses.hold(tp, offset, due)
                return
        metrics.RECORDS.labels(topic).inc()
        value = msg.value() or b""
        record = SourceRecord(topic, partition, offset, msg.key(), value, headers)
        self._tracker.add(tp, offset)
        self._buffer(len(value))
        metrics.IN_FLIGHT.inc()
        lease = self.leases.lease(tp)
        trace = RecordTrace(msg.timestamp()[1] if topic == self._policy.main_topic else None)
        self._executor.submit(
            msg.key() or f"{topic}:{partition}".encode(), lambda: self._run_one(record, lease, trace)
        )

    def _run_one(self, record: SourceRecord, lease: Lease, trace: RecordTrace) -> None:
        try:
            if not lease.active:
                return  # stopping, or the partition moved on: the record is consumed again later
            with running(trace):
                durable = self._handler.handle(record, lease)
            if durable:
                trace.observe()
        except BaseException as exc:  # the handler turns a record's bug into a dead letter: this is ours
            log.exception("member failure on %s/%s@%s", record.topic, record.partition, record.offset)
            self._fatal = exc
            self._stop.set()
            return
        finally:
            metrics.IN_FLIGHT.dec()
            self._buffer(-len(record.value))
        if durable:
            self._tracker.finish((record.topic, record.partition), record.offset)

    def _buffer(self, size: int) -> None:
        with self._bytes_lock:
            self._buffered_bytes += size

    # -- commits --------------------------------------------------------------------------
    def _commit(self, *, asynchronous: bool, only: set[TP] | None = None) -> None:
        """Commit finished prefixes; a position counts as committed only once the broker said so."""
        offsets = self._tracker.committable(force=not asynchronous)
        if only is not None:
            offsets = {tp: o for tp, o in offsets.items() if tp in only}
        if not offsets:
            return
        if self._memory_log is not None and not self._memory_log.flush(10.0):
            log.warning("memory changes not acknowledged yet: commit postponed")
            return  # a successor restoring memory must see every change behind a committed offset
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
        for waited in self._tracker.mark_committed(done):
            metrics.STAGE_SECONDS.labels("commit").observe(waited)

    # -- shutdown -------------------------------------------------------------------------
    def _shutdown(self) -> None:
        log.info("stopping: finishing in-flight records, committing, leaving the group")
        metrics.READY.set(0)
        self._rebalance.shutting_down = True
        try:
            assigned = self._rebalance.assigned
            if assigned:
                self._consumer.pause([TopicPartition(t, p) for t, p in assigned])
            self._executor.wait_idle(self._drain_timeout_s)
            self._commit(asynchronous=False)
        finally:
            self._lag.close()
            self._executor.shutdown(wait=False)
            self._consumer.close()
            if self._memory_log is not None:
                self._memory_log.close()

    @staticmethod
    def _on_error(error: KafkaError) -> None:
        KAFKA_LOG.warning("kafka client error: %s", error.str())  # rate-limited (common.kafka_logs)


def _due_at_ms(headers: list[tuple[str, bytes]]) -> int | None:
    for key, value in headers:
        if key == h.DUE_AT_MS:
            try:
                return int(value.decode())
            except ValueError:
                return None
    return None
