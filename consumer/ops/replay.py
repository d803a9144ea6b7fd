"""`python -m consumer replay --to …`: move the consumer group's committed offsets, safely.

Replaying is safe because writes are idempotent by externalId and the version rules never let an
older version overwrite a newer one; with the group's memory in Kafka an unchanged order costs no
NetSuite call at all. Kafka only lets offsets move while the group has no active member, so this
refuses (exit 3, naming the members) unless the group is empty: scale the consumers to zero first.

| `--to`                  | new offset of each partition                                            |
|-------------------------|-------------------------------------------------------------------------|
| `earliest`              | the partition's first retained offset                                   |
| `latest`                | its end (skip everything not yet processed)                             |
| an ISO-8601 UTC time    | the first record at or after that time (`offsets_for_times`); its end when none |
| an offset (an integer)  | that offset, clamped to what the partition retains                     |
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confluent_kafka import Consumer, ConsumerGroupState, ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient

Target = str | int | datetime  # "earliest" / "latest", an offset, a time


class GroupActive(Exception):
    """The group has members: Kafka refuses to move its offsets (and they would overwrite them)."""


@dataclass(frozen=True)
class Move:
    partition: int
    current: int | None  # committed offset; None when the group never committed on it
    new: int
    low: int
    high: int

    @property
    def reprocessed(self) -> int:
        """Records processed again (positive) or skipped (negative) compared with today."""
        return (self.current if self.current is not None else self.low) - self.new


def parse_target(text: str) -> Target:
    if text in ("earliest", "latest"):
        return text
    if text.lstrip("-").isdigit():
        value = int(text)
        if value < 0:
            raise ValueError("an offset is 0 or more")
        return value
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None or moment.utcoffset() is None or moment.utcoffset().total_seconds() != 0:  # type: ignore[union-attr]
        raise ValueError("a time must be UTC, e.g. 2026-12-01T09:30:00Z")
    return moment


def ensure_idle(admin: AdminClient, group: str, timeout_s: float = 30.0) -> None:
    """Raise `GroupActive` unless the group is empty (or unknown to the broker)."""
    description = admin.describe_consumer_groups([group], request_timeout=timeout_s)[group].result(timeout_s)
    members = [f"{m.client_id}@{m.host} ({m.member_id})" for m in description.members or []]
    if members or description.state not in (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD):
        named = ", ".join(members) or "the broker did not list them"
        raise GroupActive(
            f"group {group} is {description.state.name.lower()} with active members: {named}; "
            "stop the consumers first (kubectl scale deployment/woo-netsuite-sync-consumer --replicas=0)"
        )


def plan(
    client_config: dict[str, Any], group: str, topic: str, partitions: list[int] | None, target: Target
) -> list[Move]:
    """Where each partition would move, without moving anything."""
    reader = Consumer({**client_config, "group.id": group, "enable.auto.commit": False})  # never subscribes
    try:
        metadata = reader.list_topics(topic, timeout=30).topics.get(topic)
        if metadata is None or metadata.error is not None:
            raise LookupError(f"topic {topic} not found")
        known = sorted(metadata.partitions)
        chosen = partitions if partitions else known
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise LookupError(f"topic {topic} has no partition {', '.join(map(str, unknown))}")
        committed = {
            tp.partition: tp.offset
            for tp in reader.committed([TopicPartition(topic, p) for p in chosen], timeout=30)
        }
        moves = []
        for p in chosen:
            low, high = reader.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
            current = committed.get(p)
            moves.append(
                Move(
                    p,
                    current if current is not None and current >= 0 else None,
                    _new(reader, topic, p, low, high, target),
                    low,
                    high,
                )
            )
        return moves
    finally:
        reader.close()


def apply(admin: AdminClient, group: str, topic: str, moves: list[Move], timeout_s: float = 30.0) -> None:
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, m.partition, m.new) for m in moves])
    result = admin.alter_consumer_group_offsets([request], request_timeout=timeout_s)[group].result(timeout_s)
    failed = [tp for tp in result.topic_partitions if tp.error is not None]
    if failed:
        raise RuntimeError(f"the broker refused to move {len(failed)} partition(s): {failed[0].error}")


def _new(reader: Consumer, topic: str, partition: int, low: int, high: int, target: Target) -> int:
    if target == "earliest":
        return low
    if target == "latest":
        return high
    if isinstance(target, int):
        return min(max(target, low), high)
    assert isinstance(target, datetime)
    [found] = reader.offsets_for_times(
        [TopicPartition(topic, partition, int(target.timestamp() * 1000))], timeout=30
    )
    return found.offset if found.offset >= 0 else high


def table(moves: list[Move], topic: str, group: str, *, applied: bool) -> str:
    lines = [f"{'moved' if applied else 'would move (dry run)'}: group {group}, topic {topic}"]
    lines.append(f"{'PARTITION':<10}{'CURRENT':>10}{'NEW':>10}{'RECORDS AGAIN':>15}")
    for m in moves:
        current = "-" if m.current is None else str(m.current)
        lines.append(f"{m.partition:<10}{current:>10}{m.new:>10}{m.reprocessed:>15}")
    total = sum(m.reprocessed for m in moves)
    lines.append(f"{'total':<30}{total:>15}" + ("  (negative: skipped)" if total < 0 else ""))
    return "\n".join(lines)
