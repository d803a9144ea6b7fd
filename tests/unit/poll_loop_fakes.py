"""A poll loop without Kafka: the pieces of `Runner` that its pause and dispatch steps touch, a fake
client that records pauses, resumes and seeks, and an executor that records what it was handed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import TopicPartition

from consumer.pipeline.halt import Halts
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.lease import Leases
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.pauses import Pauses
from consumer.pipeline.route import RetryPolicy
from consumer.pipeline.window import Window
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
    r._window = Window(r._tracker, 5000)
    r._now_ms = lambda: 0
    r.assigned_event = threading.Event()
    return r, client, executor, log


def turn(r: Runner, batch: list[FakeMessage]) -> None:
    """One turn of `Runner.run`'s loop, with `batch` as what was fetched."""
    r._consumer.fetches.append(batch)  # type: ignore[attr-defined]
    r._turn()
