"""Records of a partition whose order memory is still being restored wait (consumer/runner.py `_gate`).

The partition is fetched from the assignment on; its first record pauses it there (pause + seek to
that record) and nothing of it is handed on until the restore ends; then it is resumed and the
record comes again. A partition restored before its first record arrives is never paused.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import TopicPartition

from consumer.pipeline.halt import HaltReason, Halts
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.lease import Leases
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.pauses import Pauses
from consumer.pipeline.route import RetryPolicy
from consumer.runner import Runner
from tests.unit.kafka_support import FakeMessage

MAIN, RETRY = "orders", "orders.retry.1"


def record(topic: str, partition: int, offset: int) -> FakeMessage:
    """A record keyed `partition@offset`, so the executor's keys say which ran."""
    return FakeMessage(topic, partition, f"{partition}@{offset}".encode(), b"x", offset)


@dataclass
class Client:
    """The Kafka consumer: `consume()` serves the batches queued in `fetches` (running `during`
    first, as librdkafka runs rebalance callbacks inside it); pause/resume/seek recorded."""

    paused: set[tuple[str, int]] = field(default_factory=set)
    seeks: list[tuple[str, int, int]] = field(default_factory=list)
    fetches: list[list[FakeMessage]] = field(default_factory=list)
    during: Any = None

    def consume(self, num_messages: int, timeout: float) -> list[FakeMessage]:
        if self.during is not None:
            self.during, during = None, self.during
            during()
        return self.fetches.pop(0) if self.fetches else []

    def pause(self, parts: list[TopicPartition]) -> None:
        self.paused |= {(p.topic, p.partition) for p in parts}

    def resume(self, parts: list[TopicPartition]) -> None:
        self.paused -= {(p.topic, p.partition) for p in parts}

    def seek(self, part: TopicPartition) -> None:
        self.seeks.append((part.topic, part.partition, part.offset))


@dataclass
class Restoring:
    partitions: set[int]

    def restoring(self) -> set[int]:
        return set(self.partitions)


class Executor:
    def __init__(self) -> None:
        self.keys: list[bytes] = []

    def submit(self, key: bytes, task: Any) -> None:
        self.keys.append(key)


def runner(assigned: set[tuple[str, int]], restoring: set[int]) -> tuple[Runner, Client, Executor, Restoring]:
    """A runner without Kafka: only the pieces the poll loop's pause and dispatch steps touch."""
    r = Runner.__new__(Runner)
    client, executor, log = Client(), Executor(), Restoring(restoring)
    r._consumer = client  # type: ignore[assignment]
    r._executor = executor  # type: ignore[assignment]
    r._memory_log = log  # type: ignore[assignment]
    r._rebalance = type("R", (), {"assigned": assigned})()  # type: ignore[assignment]
    r._policy = RetryPolicy(MAIN, (1.0,))
    r._holds, r._tracker, r._halts = DueTimeHolds(), OffsetTracker(), Halts()
    r.leases = Leases(threading.Event())
    r.leases.grant(assigned)
    r._pauses = Pauses(client, r._holds, log.restoring)
    r._bytes_lock, r._buffered_bytes = threading.Lock(), 0
    r._max_buffered, r._max_bytes = 1000, 10**9
    r._now_ms = lambda: 0
    r.assigned_event = threading.Event()
    return r, client, executor, log


def turn(r: Runner, batch: list[FakeMessage]) -> None:
    """One turn of `Runner.run`'s loop, with `batch` as what was fetched."""
    r._consumer.fetches.append(batch)  # type: ignore[attr-defined]
    r._turn()


def test_a_restoring_partitions_records_wait_at_the_partition_until_its_memory_is_restored() -> None:
    r, client, executor, log = runner({(MAIN, 0), (MAIN, 1)}, restoring={0})
    turn(r, [record(MAIN, 0, 5), record(MAIN, 1, 7), record(MAIN, 0, 6)])
    assert executor.keys == [b"1@7"]  # partition 1 has nothing to restore: its record runs
    assert client.paused == {(MAIN, 0)}
    assert client.seeks == [(MAIN, 0, 5)]
    turn(r, [record(MAIN, 0, 6)])  # fetched before the pause took effect: it comes again
    assert executor.keys == [b"1@7"]
    assert client.seeks == [(MAIN, 0, 5)]
    log.partitions.clear()  # restored
    turn(r, [])
    assert client.paused == set()
    turn(r, [record(MAIN, 0, 5), record(MAIN, 0, 6)])
    assert executor.keys == [b"1@7", b"0@5", b"0@6"]


def test_the_gate_is_by_partition_number_across_the_main_and_retry_topics() -> None:
    """An order's memory belongs to its partition number, whichever topic its record comes from."""
    r, client, executor, _log = runner({(MAIN, 2), (RETRY, 2)}, restoring={2})
    turn(r, [record(RETRY, 2, 0)])
    assert executor.keys == []
    assert client.paused == {(RETRY, 2)}


def test_a_partition_restored_before_its_first_record_is_never_paused() -> None:
    r, client, executor, log = runner({(MAIN, 0)}, restoring={0})
    turn(r, [])
    assert client.paused == set()  # assigned fetching, as the rebalance left it
    log.partitions.clear()
    turn(r, [record(MAIN, 0, 0)])
    assert executor.keys == [b"0@0"]
    assert client.seeks == []


def test_a_gated_partition_that_moves_away_is_forgotten_and_comes_back_fetching() -> None:
    r, client, executor, log = runner({(MAIN, 0)}, restoring={0})
    turn(r, [record(MAIN, 0, 3)])
    r._rebalance.assigned.clear()  # revoked: what Rebalance does before telling the loop
    r._on_assignment_change(set())
    assert r._pauses.gated == set()
    r._rebalance.assigned.add((MAIN, 0))  # assigned again (Rebalance.assign resumes it), restored
    r._on_assignment_change({(MAIN, 0)})
    client.paused.clear()
    log.partitions.clear()
    turn(r, [record(MAIN, 0, 3)])
    assert client.paused == set()
    assert executor.keys == [b"0@3"]


def test_a_partition_assigned_inside_the_fetch_is_gated_in_the_same_turn() -> None:
    """librdkafka runs the assign callback inside `consume()`: what is restoring must be read after
    it, or the new partition's first records would run before its memory is read."""
    r, client, executor, log = runner({(MAIN, 0)}, restoring=set())

    def assigned() -> None:
        r._rebalance.assigned.add((MAIN, 1))
        log.partitions.add(1)

    client.during = assigned
    turn(r, [record(MAIN, 1, 0)])
    assert executor.keys == []
    assert client.paused == {(MAIN, 1)}


def test_a_gated_partition_stays_paused_through_backpressure_until_restored() -> None:
    r, client, executor, log = runner({(MAIN, 0), (MAIN, 1)}, restoring={0})
    turn(r, [record(MAIN, 0, 5)])
    r._halts.engage(HaltReason.CREDENTIALS, "token refused")
    turn(r, [])
    assert client.paused == {(MAIN, 0), (MAIN, 1)}
    r._halts.release(HaltReason.CREDENTIALS)
    turn(r, [])
    assert client.paused == {(MAIN, 0)}  # the halt's pause lifted, the gate's kept
    log.partitions.clear()
    turn(r, [record(MAIN, 0, 5)])
    assert client.paused == set()
    assert executor.keys == [b"0@5"]
