"""A consumed Kafka message as confluent-kafka's `Message` answers, for tests without a broker."""

from __future__ import annotations

from dataclasses import dataclass

from confluent_kafka import KafkaError


@dataclass(frozen=True)
class FakeMessage:
    topic_: str
    partition_: int
    key_: bytes
    value_: bytes | None
    offset_: int = 0
    error_: KafkaError | None = None

    def error(self) -> KafkaError | None:
        return self.error_

    def topic(self) -> str:
        return self.topic_

    def partition(self) -> int:
        return self.partition_

    def offset(self) -> int:
        return self.offset_

    def key(self) -> bytes:
        return self.key_

    def value(self) -> bytes | None:
        return self.value_

    def timestamp(self) -> tuple[int, int]:
        return (1, 0)  # TIMESTAMP_CREATE_TIME, epoch

    def headers(self) -> None:
        return None


def end_of_partition(topic: str, partition: int, offset: int) -> FakeMessage:
    """The end-of-partition event (`enable.partition.eof`): an error, at the partition's end offset."""
    return FakeMessage(topic, partition, b"", None, offset, KafkaError(KafkaError._PARTITION_EOF))
