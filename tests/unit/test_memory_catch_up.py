"""A partition number's order memory is read far enough before its records run — restored from the
start when the number is new to the member, caught up to the changelog's end when the member follows
it already (held through a retry topic): consumer/pipeline/restores.py's table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumer.netsuite.governor import Governor
from consumer.pipeline.codec import encode_order
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.memory_reader import TRIES
from consumer.pipeline.restores import Restores
from consumer.pipeline.versions import OrderMemory
from tests.unit.kafka_support import FakeMessage, end_of_partition
from tests.unit.test_memory import FakeProducer, memory_log
from tests.unit.test_rebalance import FakeConsumer, Metadata, parts, rebalance

V1, V2 = "2026-11-01T10:00:00", "2026-11-02T10:00:00"


def test_a_new_number_is_restored_and_a_followed_one_caught_up() -> None:
    restores = Restores()
    assert restores.track({1}) == ({1: 1}, {})
    assert restores.restoring() == {1}
    restores.restore_ended(1, 1)  # empty at the start
    assert restores.restoring() == set()
    assert restores.track({1}) == ({}, {1: 1})  # its main partition, while held via a retry topic
    assert restores.restoring() == {1}  # the end it must reach is being asked
    restores.catch_up_to(1, 1, 8)
    restores.read(1, 1, 5)
    assert restores.restoring() == {1}
    restores.read(1, 1, 8)
    assert restores.restoring() == set()


def test_a_catch_up_the_reader_is_already_past_ends_when_its_end_is_known() -> None:
    restores = Restores()
    restores.track({2})
    restores.read(2, 1, 8)
    restores.restore_ended(2, 1)  # its end-of-partition event
    restores.track({2})
    restores.catch_up_to(2, 1, 8)
    assert restores.restoring() == set()


def test_an_empty_changelog_ends_a_catch_up_at_once() -> None:
    restores = Restores()
    restores.track({2})
    restores.restore_ended(2, 1)
    restores.track({2})
    restores.catch_up_to(2, 1, 0)  # what the reader sends for low == high
    assert restores.restoring() == set()


def test_answers_and_events_of_an_earlier_assignment_end_nothing() -> None:
    """The reader may still apply a batch fetched before the number was let go and assigned again."""
    restores = Restores()
    restores.track({3})
    restores.untrack({3})
    assert restores.track({3}) == ({3: 2}, {})
    restores.restore_ended(3, 1)  # an end-of-partition event of the first assignment
    restores.read(3, 1, 10)
    assert restores.restoring() == {3}
    restores.restore_ended(3, 2)
    restores.track({3})
    restores.catch_up_to(3, 1, 0)  # an answer for the first assignment
    assert restores.restoring() == {3}
    restores.catch_up_to(3, 2, 4)
    restores.read(3, 1, 4)
    assert restores.restoring() == {3}
    restores.read(3, 2, 4)
    assert restores.restoring() == set()


def test_a_number_let_go_during_its_catch_up_waits_for_nothing_any_more() -> None:
    restores = Restores()
    restores.track({6})
    restores.restore_ended(6, 1)
    restores.track({6})
    restores.catch_up_to(6, 1, 9)
    restores.untrack({6})
    assert restores.restoring() == set()
    assert restores.track({6}) == ({6: 2}, {})  # back: restored from the start, nothing of before kept
    restores.restore_ended(6, 2)
    assert restores.restoring() == set()


def test_a_number_let_go_while_its_end_is_asked_waits_for_nothing_any_more() -> None:
    restores = Restores()
    restores.track({6})
    restores.restore_ended(6, 1)
    restores.track({6})
    restores.untrack({6})
    assert restores.restoring() == set()


def test_a_number_restoring_when_assigned_again_waits_for_its_restore_and_the_new_end() -> None:
    """The restore may reach an end from before the previous owner's last changes."""
    restores = Restores()
    restores.track({4})
    restores.track({4})
    restores.read(4, 1, 2)
    restores.restore_ended(4, 1)
    assert restores.restoring() == {4}
    restores.catch_up_to(4, 1, 3)
    assert restores.restoring() == {4}
    restores.read(4, 1, 3)
    assert restores.restoring() == set()


def test_the_latest_end_asked_counts_and_an_unanswered_ask_keeps_the_one_known() -> None:
    restores = Restores()
    restores.track({5})
    restores.restore_ended(5, 1)
    restores.track({5})
    restores.catch_up_to(5, 1, 9)
    restores.track({5})  # assigned again before that end was read: asked again
    restores.catch_up_to(5, 1, None)  # no answer: the end known stays
    restores.read(5, 1, 8)
    assert restores.restoring() == {5}
    restores.track({5})
    restores.catch_up_to(5, 1, 7)  # lower: the log was truncated (an unclean leader election)
    assert restores.restoring() == set()


def test_a_catch_up_never_answered_ends_as_before_catch_ups_existed() -> None:
    restores = Restores()
    restores.track({5})
    restores.restore_ended(5, 1)
    restores.track({5})
    restores.catch_up_to(5, 1, None)
    assert restores.restoring() == set()


class Marks:
    """The reader's watermark client: (low, high) per partition, changed by the test; a partition
    missing from `marks` does not answer in time."""

    def __init__(self) -> None:
        self.marks: dict[int, tuple[int, int]] = {}

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        if partition.partition not in self.marks:
            raise KafkaException(KafkaError(KafkaError._TIMED_OUT))
        return self.marks[partition.partition]

    def close(self) -> None: ...


def entry(offset: int, order_id: int, memory: OrderMemory | None) -> FakeMessage:
    value = None if memory is None else encode_order(memory)
    return FakeMessage("o.memory", 0, str(order_id).encode(), value, offset)


@pytest.fixture
def followed() -> Iterator[tuple[Any, WriteMemory, Marks]]:
    """A memory log following number 0 (its retry partition assigned), restored to offset 2."""
    memory = WriteMemory()
    log = memory_log(memory, FakeProducer())
    marks = Marks()
    log.reader._marks = marks
    marks.marks[0] = (0, 2)
    log.track({0})
    log.reader._serve_requests()
    log.reader._apply_all([entry(0, 41, OrderMemory(V1, "fp1")), entry(1, 42, OrderMemory(V1, "fp"))])
    log.reader._apply(end_of_partition("o.memory", 0, 2))
    assert log.restoring() == set()
    yield log, memory, marks
    log.reader._consumer.close()


def test_the_previous_owners_last_change_is_read_before_the_main_partitions_records_run(
    followed: tuple[Any, WriteMemory, Marks],
) -> None:
    """The previous owner of main partition 0 wrote order 41's newer version (offset 2) and committed;
    the reader has not fetched it yet."""
    log, memory, marks = followed
    marks.marks[0] = (0, 3)
    log.track({0})  # orders [0] assigned
    assert log.restoring() == {0}
    log.reader._serve_requests()
    log.reader._apply(end_of_partition("o.memory", 0, 2))  # an end-of-partition event from before that change
    assert log.restoring() == {0}
    log.reader._apply(entry(2, 41, OrderMemory(V2, "fp2")))
    assert log.restoring() == set()
    assert memory.order(41) == OrderMemory(V2, "fp2")


def test_a_changelog_emptied_by_retention_has_nothing_to_catch_up(
    followed: tuple[Any, WriteMemory, Marks],
) -> None:
    """low == high past the reader's position: its end-of-partition event was sent at offset 2."""
    log, _, marks = followed
    marks.marks[0] = (5, 5)
    log.track({0})
    log.reader._serve_requests()
    assert log.restoring() == set()


def test_a_tail_without_entries_is_read_when_the_end_of_partition_event_reaches_it(
    followed: tuple[Any, WriteMemory, Marks],
) -> None:
    """Compaction can leave the last offsets without a record; the end-of-partition event says where
    the reader is."""
    log, _, marks = followed
    marks.marks[0] = (0, 5)
    log.track({0})
    log.reader._serve_requests()
    log.reader._apply(entry(2, 43, None))  # a tombstone counts as read
    assert log.restoring() == {0}
    log.reader._apply(end_of_partition("o.memory", 0, 5))
    assert log.restoring() == set()


def test_a_catch_up_whose_end_is_not_known_is_asked_again_then_given_up(
    followed: tuple[Any, WriteMemory, Marks],
) -> None:
    log, _, marks = followed
    del marks.marks[0]  # ListOffsets times out
    log.track({0})
    for _ in range(TRIES - 1):
        log.reader._serve_requests()
        assert log.restoring() == {0}
    marks.marks[0] = (0, 2)  # answers again: the reader is at the end already
    log.reader._serve_requests()
    assert log.restoring() == set()
    del marks.marks[0]
    log.track({0})
    for _ in range(TRIES):
        log.reader._serve_requests()
    assert log.restoring() == set()  # given up: its records run on what was read, with a warning


def test_a_request_the_client_refuses_is_served_again_not_lost(
    followed: tuple[Any, WriteMemory, Marks],
) -> None:
    log, _, _ = followed
    log.untrack({0})
    log.reader._serve_requests()
    refusals = [KafkaException(KafkaError(KafkaError._CONFLICT))]
    assign = log.reader._consumer.incremental_assign

    def flaky(parts: Any) -> None:
        if refusals:
            raise refusals.pop()
        assign(parts)

    log.reader._consumer = type("C", (), {"incremental_assign": staticmethod(flaky),
                                          "close": log.reader._consumer.close})()  # fmt: skip
    log.track({0})
    log.reader._serve_requests()
    assert log.restoring() == {0}
    assert 0 not in log.reader._orders_assigned
    log.reader._serve_requests()
    assert log.reader._orders_assigned == {0: 2}


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
    r = rebalance(Metadata({"orders": 6, "orders.retry.1": 6}), Governor(4), memory, memory_log=log)
    consumer: Any = FakeConsumer()
    r.assign(consumer, parts(("orders.retry.1", 3), ("orders", 5)))
    memory.apply_order(3, 41, OrderMemory(V1, "fp1"))
    r.assign(consumer, parts(("orders", 3), ("orders", 4)))
    assert log.tracked == [{3, 5}, {3, 4}]
    assert memory.order(41) == OrderMemory(V1, "fp1")  # what it follows is kept, not forgotten
    r.assign(consumer, parts(("orders.retry.1", 5)))  # retry records read NetSuite first: no wait
    assert log.tracked[-1] == set()
