"""A member's empty partitions are known at once: asked on a client that is not fetching."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.watermarks import empty_partitions


class Broker:
    def __init__(self, marks: dict[int, tuple[int, int] | Exception | None]) -> None:
        self.marks = marks
        self.asked: list[tuple[str, int]] = []

    def get_watermark_offsets(
        self, partition: TopicPartition, timeout: float = -1, cached: bool = False
    ) -> tuple[int, int]:
        self.asked.append((partition.topic, partition.partition))
        answer = self.marks[partition.partition]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]  # None: librdkafka's timeout


class Fetching:
    """The memory reader's client: a query there waits behind its long-poll fetches."""

    def get_watermark_offsets(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("watermarks asked on the fetching client")


def test_the_empty_partitions_are_named() -> None:
    broker = Broker({0: (0, 0), 1: (0, 3), 2: (5, 5), 3: (2, 9)})
    assert empty_partitions(broker, "o.memory", [3, 0, 2, 1], timeout_s=10) == {0, 2}
    assert broker.asked == [("o.memory", p) for p in range(4)]


def test_a_partition_whose_query_fails_or_times_out_is_not_called_empty() -> None:
    """Read to its end instead (the reader's end-of-partition event restores it); the others still
    run at once — one failed query used to abort the rest of the round."""
    failed = KafkaException(KafkaError(KafkaError._TRANSPORT))
    broker = Broker({0: failed, 1: (0, 0), 2: None, 3: (4, 4)})
    assert empty_partitions(broker, "o.memory", {0, 1, 2, 3}, timeout_s=10) == {1, 3}


def test_a_member_assigned_empty_partitions_does_not_ask_behind_its_fetches() -> None:
    """The reader's client asked: each query queued behind a fetch, six empty partitions stayed
    paused 0.55-0.7 s after every assignment (tansu; 3-24 ms on an idle client in the same run)."""
    from consumer.pipeline.changelog import MemoryLog

    log = MemoryLog({"bootstrap.servers": "127.0.0.1:1"}, "o.memory", "o.customers", WriteMemory(), {})
    real: list[Any] = [log._consumer, log._marks]
    try:
        log._consumer = Fetching()  # type: ignore[assignment]
        log._marks = Broker({p: (0, 0) if p != 4 else (0, 7) for p in range(6)})  # type: ignore[assignment]
        log._restoring = set(range(6))
        log._restored_if_empty(set(range(6)))
        assert log.restoring() == {4}  # the one with entries is read first
    finally:
        for client in real:
            client.close()
