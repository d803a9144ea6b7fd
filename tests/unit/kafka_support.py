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

    def error(self) -> None:
        return None

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


@dataclass(frozen=True)
class FakeEnd:
    """The end-of-partition event (`enable.partition.eof`): an error, at the partition's end offset."""

    topic_: str
    partition_: int
    offset_: int

    def error(self) -> KafkaError:
        return KafkaError(KafkaError._PARTITION_EOF)

    def topic(self) -> str:
        return self.topic_

    def partition(self) -> int:
        return self.partition_

    def offset(self) -> int:
        return self.offset_
