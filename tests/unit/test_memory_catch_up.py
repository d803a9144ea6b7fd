"""A partition number's order memory is read far enough before its records run — restored from the
start when the number is new to the member, caught up to the changelog's end when the member follows
it already (held through a retry topic): consumer/pipeline/restores.py's table."""

from __future__ import annotations

import threading
from typing import Any

from confluent_kafka import TopicPartition

from consumer.netsuite.governor import Governor
from consumer.pipeline.codec import encode_order
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.lease import Leases
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.restores import Restores
from consumer.pipeline.versions import OrderMemory
from consumer.rebalance import Rebalance
from tests.unit.kafka_support import FakeEnd, FakeMessage
from tests.unit.test_memory import FakeProducer, memory_log
from tests.unit.test_rebalance import FakeConsumer, Metadata, parts

V1, V2 = "2026-11-01T10:00:00", "2026-11-02T10:00:00"


def test_a_new_number_is_restored_and_a_followed_one_caught_up() -> None:
    restores = Restores()
    assert restores.track({1}) == ({1: 1}, {})
    assert restores.restoring() == {1}
    restores.restore_ended(1, 1)  # empty at the start
    assert restores.restoring() == set()
    assert restores.track({1}) == ({}, {1: 1})  # e.g. its main partition, while held via a retry topic
    assert restores.restoring() == {1}
    restores.catch_up_to(1, 1, 8)
    restores.read(1, 5)
    assert restores.restoring() == {1}
    restores.read(1, 8)
    assert restores.restoring() == set()


def test_a_catch_up_the_reader_is_already_past_ends_when_its_end_is_known() -> None:
    restores = Restores()
    restores.track({2})
    restores.read(2, 8)
    restores.restore_ended(2)  # its end-of-partition event
    restores.track({2})
    assert restores.restoring() == {2}  # the end it must reach is being asked
    restores.catch_up_to(2, 1, 8)
    assert restores.restoring() == set()


def test_a_stale_answer_ends_neither_a_new_restore_nor_a_new_catch_up() -> None:
    restores = Restores()
    restores.track({3})
    restores.untrack({3})
    assert restores.track({3}) == ({3: 2}, {})
    restores.restore_ended(3, 1)  # the empty answer for the first assignment
    assert restores.restoring() == {3}
    restores.restore_ended(3, 2)
    restores.track({3})
    restores.untrack({3})
    restores.catch_up_to(3, 2, 0)  # answered after the number was let go: nothing to end
    assert restores.restoring() == set()
    restores.read(3, 10)  # a late fetch of a number let go is not progress
    assert restores.track({3}) == ({3: 3}, {})
    restores.restore_ended(3, 3)
    restores.track({3})
    restores.catch_up_to(3, 3, 4)
    assert restores.restoring() == {3}


def test_a_number_restoring_when_assigned_again_waits_for_its_restore_and_the_new_end() -> None:
    """The restore may reach an end from before the previous owner's last changes."""
    restores = Restores()
    restores.track({4})
    restores.track({4})
    restores.read(4, 2)
    restores.restore_ended(4)
    assert restores.restoring() == {4}
    restores.catch_up_to(4, 1, 3)
    assert restores.restoring() == {4}
    restores.read(4, 3)
    assert restores.restoring() == set()


def test_an_unknown_end_ends_the_catch_up_as_before_catch_ups_existed() -> None:
    restores = Restores()
    restores.track({5})
    restores.restore_ended(5, 1)
    restores.track({5})
    restores.catch_up_to(5, 1, None)
    assert restores.restoring() == set()


class Marks:
    """The reader's watermark client: (low, high) per partition, changed by the test."""

    def __init__(self) -> None:
        self.marks: dict[int, tuple[int, int]] = {}

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        return self.marks[partition.partition]

    def close(self) -> None: ...


def entry(offset: int, order_id: int, memory: OrderMemory) -> FakeMessage:
    return FakeMessage("o.memory", 0, str(order_id).encode(), encode_order(memory), offset)


def test_the_previous_owners_last_change_is_read_before_the_main_partitions_records_run() -> None:
    """The member follows number 0 (its retry partition 0); the previous owner of main partition 0
    wrote order 41's newer version (offset 2) and committed; the reader has not fetched it yet."""
    memory = WriteMemory()
    log = memory_log(memory, FakeProducer())
    reader, marks = log.reader, Marks()
    reader._marks = marks
    try:
        marks.marks[0] = (0, 2)
        log.track({0})  # orders.retry.1 [0] assigned
        reader._serve_requests()
        reader._apply_all([entry(0, 41, OrderMemory(V1, "fp1")), entry(1, 42, OrderMemory(V1, "fp"))])
        reader._apply(FakeEnd("o.memory", 0, 2))  # type: ignore[arg-type]
        assert log.restoring() == set()

        marks.marks[0] = (0, 3)  # the previous owner's last change, acknowledged before its commit
        log.track({0})  # orders [0] assigned
        assert log.restoring() == {0}
        reader._serve_requests()
        reader._apply(FakeEnd("o.memory", 0, 2))  # an end-of-partition event from before that change
        assert log.restoring() == {0}
        reader._apply(entry(2, 41, OrderMemory(V2, "fp2")))
        assert log.restoring() == set()
        assert memory.order(41) == OrderMemory(V2, "fp2")
    finally:
        reader._consumer.close()


class Recording:
    def __init__(self) -> None:
        self.tracked: list[set[int]] = []

    def track(self, partitions: set[int]) -> None:
        self.tracked.append(set(partitions))

    def untrack(self, partitions: set[int]) -> None: ...

    def restoring(self) -> set[int]:
        return set()


def test_a_main_partition_whose_number_is_held_via_a_retry_topic_is_caught_up() -> None:
    """Before: only numbers new to the member were tracked, so main partition 3's records ran on a
    memory that could lag its previous owner's last changes."""
    memory, log = WriteMemory(), Recording()
    r = Rebalance(
        Metadata({"orders": 6, "orders.retry.1": 6}),  # type: ignore[arg-type]
        ["orders", "orders.retry.1"],
        Leases(threading.Event()),
        OffsetTracker(),
        DueTimeHolds(),
        memory,
        Governor(4),
        commit=lambda **_: None,
        call_timeout_s=1,
        on_change=lambda *_: None,
        memory_log=log,  # type: ignore[arg-type]
    )
    consumer: Any = FakeConsumer()
    r.assign(consumer, parts(("orders.retry.1", 3)))
    memory.apply_order(3, 41, OrderMemory(V1, "fp1"))
    r.assign(consumer, parts(("orders", 3), ("orders", 4)))
    assert log.tracked == [{3}, {3, 4}]
    assert memory.order(41) == OrderMemory(V1, "fp1")  # what it follows is kept, not forgotten
