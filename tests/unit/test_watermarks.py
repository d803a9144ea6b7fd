"""A member's empty partitions are known at once: asked on a client that is not fetching, bounded."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.watermarks import empty_partitions


class Broker:
    """Answers each query from `marks`; every query takes `takes_s` on the fake clock."""

    def __init__(self, marks: dict[int, tuple[int, int] | Exception], takes_s: float = 0.0) -> None:
        self.marks, self.takes_s, self.now = marks, takes_s, 100.0
        self.asked: list[tuple[str, int, float]] = []

    def clock(self) -> float:
        return self.now

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        self.asked.append((partition.topic, partition.partition, timeout))
        self.now += self.takes_s
        answer = self.marks[partition.partition]
        if isinstance(answer, Exception):
            raise answer
        return answer


class Fetching:
    """The memory reader's client: a query there waits behind its long-poll fetches."""

    def get_watermark_offsets(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("watermarks asked on the fetching client")


def test_the_empty_partitions_are_named() -> None:
    broker = Broker({0: (0, 0), 1: (0, 3), 2: (5, 5), 3: (2, 9)})
    assert empty_partitions(broker, "o.memory", [3, 0, 2, 1], 2.0, broker.clock) == {0, 2}
    assert [(t, p) for t, p, _ in broker.asked] == [("o.memory", p) for p in range(4)]


def test_the_first_failed_query_ends_the_round() -> None:
    """A broker down or slow would make every other query wait its timeout too (6 partitions x 10 s
    blocked the reader a minute); the rest are read to their end instead."""
    timed_out = KafkaException(KafkaError(KafkaError._TIMED_OUT))
    broker = Broker({0: (0, 0), 1: timed_out, 2: (0, 0), 3: (0, 0)})
    assert empty_partitions(broker, "o.memory", {0, 1, 2, 3}, 2.0, broker.clock) == {0}
    assert [p for _, p, _ in broker.asked] == [0, 1]


def test_all_queries_share_one_deadline() -> None:
    broker = Broker(dict.fromkeys(range(4), (0, 0)), takes_s=1.5)
    assert empty_partitions(broker, "o.memory", range(4), 2.0, broker.clock) == {0, 1}
    assert [(p, timeout) for _, p, timeout in broker.asked] == [(0, 2.0), (1, 0.5)]


def memory_log() -> Any:
    from consumer.pipeline.changelog import MemoryLog

    return MemoryLog({"bootstrap.servers": "127.0.0.1:1"}, "o.memory", "o.customers", WriteMemory(), {})


def test_a_member_assigned_empty_partitions_does_not_ask_behind_its_fetches() -> None:
    """The reader's client asked: each query queued behind a fetch, six empty partitions stayed
    paused 0.55-0.7 s after every assignment (tansu; 3-24 ms on an idle client in the same run)."""
    log = memory_log()
    real: list[Any] = [log.reader._consumer, log.reader._marks]
    try:
        log.reader._consumer = Fetching()
        log.reader._marks = Broker({p: (0, 0) if p != 4 else (0, 7) for p in range(6)})
        log.track(set(range(6)))
        _, epochs, _ = log.reader._requests.get_nowait()
        log.reader._restored_if_empty(epochs)
        assert log.restoring() == {4}  # the one with entries is read first
    finally:
        for client in real:
            client.close()


def test_an_empty_answer_from_before_a_partition_came_back_does_not_end_its_restore() -> None:
    """Let go and assigned again while its watermarks were asked: the interim owner may have written
    entries since, so the old answer must not let its records run unrestored."""
    log = memory_log()
    real: list[Any] = [log.reader._consumer, log.reader._marks]
    try:
        log.reader._marks = Broker({3: (0, 0)})
        log.track({3})
        _, first, _ = log.reader._requests.get_nowait()
        log.untrack({3})
        log.track({3})
        log.reader._restored_if_empty(first)  # the answer to the first assignment arrives late
        assert log.restoring() == {3}
    finally:
        for client in real:
            client.close()


def test_the_watermark_client_is_never_polled_so_it_gets_no_logger_and_joins_no_new_group(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from consumer.pipeline import changelog, memory_reader

    seen: list[dict[str, Any]] = []

    class Recording:
        def __init__(self, config: dict[str, Any]) -> None:
            seen.append(config)

    monkeypatch.setattr(memory_reader, "Consumer", Recording)
    config = {"bootstrap.servers": "b:9092", "logger": object(), "error_cb": print, "client.id": "m1"}
    changelog.MemoryLog(config, "o.memory", "o.customers", WriteMemory(), {})
    reader, marks = seen
    assert "logger" in reader
    assert "logger" not in marks
    assert "error_cb" not in marks
    assert (marks["group.id"], marks["client.id"]) == (reader["group.id"], "m1-watermarks")
    assert marks["enable.auto.commit"] is False
