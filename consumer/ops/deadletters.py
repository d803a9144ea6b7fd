"""Read the dead-letter topic and the redrive log: what `redrive --list` shows and `redrive` selects.

A dead letter is identified by its position in the dead-letter topic (partition, offset): the same
order can be dead-lettered several times (each time a new position), and what was redriven is
remembered per position in `<ORDERS_TOPIC>.redrives` — a compacted topic, not a local file, so any pod
can run `redrive` and a second run knows what the first one sent.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from common import headers as h
from consumer.topics import BrokerUnreachable, kafka_reason

Position = tuple[int, int]  # (partition, offset) in the dead-letter topic


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic, as the contract's `--json` keys name it."""

    dlq_partition: int
    dlq_offset: int
    key: bytes | None
    value: bytes
    headers: list[tuple[str, bytes]]
    timestamp_ms: int

    def header(self, name: str) -> str:
        return h.header_map(list(self.headers)).get(name, "")

    @property
    def position(self) -> Position:
        return self.dlq_partition, self.dlq_offset

    @property
    def order_id(self) -> str:
        return (self.key or b"").decode("utf-8", "replace")

    @property
    def error_class(self) -> str:
        return self.header(h.ERROR_CLASS)

    @property
    def redrive_count(self) -> int:
        """Times this order was redriven before it landed here."""
        return _int(self.header(h.REDRIVE_COUNT))

    @property
    def dead_lettered_at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)

    def as_json(self, redriven: RedriveMark | None) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "error_class": self.error_class,
            "error_message": self.header(h.ERROR_MESSAGE),
            "attempts": _int(self.header(h.ATTEMPT)),
            "redrive_count": redriven.count if redriven is not None else self.redrive_count,
            "redriven": redriven is not None,
            "original_topic": self.header(h.ORIGINAL_TOPIC),
            "original_partition": _int(self.header(h.ORIGINAL_PARTITION)),
            "original_offset": _int(self.header(h.ORIGINAL_OFFSET)),
            "dlq_partition": self.dlq_partition,
            "dlq_offset": self.dlq_offset,
            "dead_lettered_at": self.dead_lettered_at.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True)
class RedriveMark:
    """What the redrive log says of one dead-letter position: sent as its `count`-th redrive."""

    count: int
    at_ms: int

    def encode(self) -> bytes:
        return json.dumps({"count": self.count, "at_ms": self.at_ms}).encode()

    @classmethod
    def decode(cls, value: bytes) -> RedriveMark:
        data = json.loads(value)
        return cls(int(data["count"]), int(data["at_ms"]))


def position_key(position: Position) -> bytes:
    return f"{position[0]}:{position[1]}".encode()


def read_dead_letters(client_config: dict[str, Any], topic: str, timeout_s: float = 30.0) -> list[DeadLetter]:
    return [
        DeadLetter(
            m.partition() or 0,
            m.offset() or 0,
            m.key(),
            m.value() or b"",
            h.message_headers(m),
            m.timestamp()[1],
        )
        for m in _read_to_end(client_config, topic, timeout_s)
    ]


def read_redrive_log(
    client_config: dict[str, Any], topic: str, timeout_s: float = 30.0
) -> dict[Position, RedriveMark]:
    """The newest mark per dead-letter position (the log is compacted; later entries win)."""
    marks: dict[Position, RedriveMark] = {}
    for m in _read_to_end(client_config, topic, timeout_s):
        partition, _, offset = (m.key() or b"").decode().partition(":")
        if m.value() is not None and partition.isdigit() and offset.isdigit():
            marks[(int(partition), int(offset))] = RedriveMark.decode(m.value() or b"")
    return marks


class ReadIncomplete(Exception):
    """The broker answered at the start, then failed or stopped answering before `topic` was read to
    its end: nothing was sent, run it again (the command's "refused", exit 3)."""


def _read_to_end(client_config: dict[str, Any], topic: str, timeout_s: float) -> Iterator[Message]:
    """Every record of `topic` up to the high watermarks taken at the start (no group is joined)."""
    consumer = Consumer(
        {
            **client_config,
            "group.id": f"woo-operator-{uuid.uuid4().hex[:8]}",  # never joins, never commits
            "enable.auto.commit": False,
            "enable.partition.eof": False,
        }
    )
    try:
        try:
            metadata = consumer.list_topics(topic, timeout=timeout_s).topics.get(topic)
        except KafkaException:
            raise BrokerUnreachable(timeout_s) from None
        if metadata is None or metadata.error is not None:
            raise LookupError(f"topic {topic} not found — create it with `python -m consumer topics`")
        yield from _records_to_end(consumer, topic, list(metadata.partitions), timeout_s)
    except KafkaException as exc:
        raise ReadIncomplete(
            f"reading {topic} failed part-way ({kafka_reason(exc)}); nothing was sent"
        ) from None
    finally:
        consumer.close()


def _records_to_end(
    consumer: Consumer, topic: str, partitions: list[int], timeout_s: float
) -> Iterator[Message]:
    """`_read_to_end` once the topic is known: its partitions up to the high watermarks of now."""
    ends: dict[int, int] = {}
    starts: list[TopicPartition] = []
    for partition in partitions:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=timeout_s)
        if high > low:
            ends[partition] = high
            starts.append(TopicPartition(topic, partition, low))
    consumer.assign(starts)
    deadline = time.monotonic() + timeout_s
    while ends and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=500, timeout=0.5):
            partition, offset = message.partition() or 0, message.offset() or 0
            if message.error() is None and offset < ends.get(partition, -1):
                yield message
        # by position, not by the last offset seen: compaction and retention leave gaps
        for tp in consumer.position([TopicPartition(topic, p) for p in ends]):
            if tp.offset >= ends[tp.partition]:
                del ends[tp.partition]
    if ends:
        raise ReadIncomplete(f"could not read {topic} to its end within {timeout_s:.0f}s; nothing was sent")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return 0
