"""`python -m consumer replay --to …`: move the consumer group's committed offsets, safely.

Replaying is safe because writes are idempotent by externalId and the version rules never let an
older version overwrite a newer one; with the group's memory in Kafka an unchanged order costs no
NetSuite call at all. Kafka only lets offsets move while the group has no active member, so this
refuses (exit 3, naming the members) unless the group is empty: scale the consumers to zero first.
The broker refusing the change (a member joined after the check) or not answering part-way is exit 3
too, with Kafka's reason and what moved.

| `--to`                  | new offset of each partition                                            |
|-------------------------|-------------------------------------------------------------------------|
| `earliest`              | the partition's first retained offset                                   |
| `latest`                | its end (skip everything not yet processed)                             |
| an ISO-8601 UTC time    | the first record at or after that time (`offsets_for_times`); its end when none |
| an offset (an integer)  | that offset, clamped to what the partition retains                     |
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from confluent_kafka import (
    Consumer,
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from consumer.topics import kafka_reason

Target = str | int | datetime  # "earliest" / "latest", an offset, a time


class GroupActive(Exception):
    """The group has members: Kafka refuses to move its offsets (and they would overwrite them)."""


class BrokerFailed(Exception):
    """The broker refused a request of the replay or stopped answering part-way: the message says
    which, in Kafka's words, and what moved. Refused, like `redrive` when the broker does not take a
    record (exit 3): the broker answered when the command started, the settings are not at fault."""


# what the broker answers an offset change for a group that has a member (Kafka and tansu)
_MEMBER_JOINED = {
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION,
}


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
    """Raise `GroupActive` unless the group is empty (or unknown to the broker); `BrokerFailed`
    when the broker does not say."""
    description = _answer(
        lambda: admin.describe_consumer_groups([group], request_timeout=timeout_s)[group],
        timeout_s,
        lambda why: (
            f"the broker did not answer whether group {group} has members ({why}); nothing was "
            "moved — run it again"
        ),
    )
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
    """Where each partition would move, without moving anything; `BrokerFailed` when the broker stops
    answering."""
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
    except KafkaException as exc:
        raise BrokerFailed(
            f"the broker did not answer reading the offsets of {topic} ({kafka_reason(exc)}); "
            "nothing was moved — run it again"
        ) from None
    finally:
        reader.close()


def apply(admin: AdminClient, group: str, topic: str, moves: list[Move], timeout_s: float = 30.0) -> None:
    """Move the group's offsets; `BrokerFailed` when the broker refuses a partition or does not answer."""
    request = ConsumerGroupTopicPartitions(group, [TopicPartition(topic, m.partition, m.new) for m in moves])
    result = _answer(
        lambda: admin.alter_consumer_group_offsets([request], request_timeout=timeout_s)[group],
        timeout_s,
        lambda why: (
            f"the broker did not confirm the offset change ({why}): the offsets may or may not "
            "have moved — `--dry-run` shows where they are; running it again is safe"
        ),
    )
    failed = [tp for tp in result.topic_partitions if tp.error is not None]
    if failed:
        joined = any(tp.error.code() in _MEMBER_JOINED for tp in failed)
        raise BrokerFailed(
            f"the broker refused to move partition(s) {', '.join(str(tp.partition) for tp in failed)} of "
            f"{topic}: {kafka_reason(failed[0].error)}"
            + (" — a member joined the group after the check: stop the consumers first" if joined else "")
            + ("; nothing was moved" if len(failed) == len(moves) else "; the other partitions moved")
        )


def _answer(ask: Callable[[], Future[Any]], timeout_s: float, failed: Callable[[str], str]) -> Any:
    """The admin request's answer, or `BrokerFailed` saying `failed(Kafka's reason, or the timeout)`
    when the broker refuses the request or does not answer."""
    try:
        return ask().result(timeout_s)
    except (KafkaException, TimeoutError) as exc:
        why = kafka_reason(exc) if isinstance(exc, KafkaException) else f"no answer within {timeout_s:.0f}s"
        raise BrokerFailed(failed(why)) from None


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
