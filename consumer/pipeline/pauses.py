"""Which assigned partitions the poll loop keeps from fetching, and why. Poll thread only.

| reason        | which partitions                                   | until                                |
|---------------|----------------------------------------------------|--------------------------------------|
| due-time hold | a retry topic's, at a record not yet due           | its due time (`DueTimeHolds`)        |
| gate          | one whose memory is restoring, at its first record | the memory is read (`restoring`)     |
| window        | one with `CONSUMER_MAX_UNCOMMITTED` records handed | the broker acknowledged a commit     |
|               | on since its last acknowledged commit (`Window`)   | below that (`OffsetTracker`)         |
| backpressure  | every assigned one                                 | halt lifted, buffers below their caps |

A hold or a gate pauses the partition *at a record*: paused, and sought back to that record, so the
records fetched beyond it are dropped (`stopped`) and come again once it is resumed. The window and
backpressure pause without a seek: what was fetched runs. librdkafka keeps a partition's pause flag across a
revoke and a re-assignment; `Rebalance.assign` resumes what it assigns, and `keep_only` forgets the
partitions that left.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Protocol

from confluent_kafka import TopicPartition

from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.offsets import TopicPartitionKey as TP


class PausingClient(Protocol):
    def pause(self, partitions: list[TopicPartition]) -> None: ...
    def resume(self, partitions: list[TopicPartition]) -> None: ...
    def seek(self, partition: TopicPartition) -> None: ...


class Pauses:
    def __init__(
        self, client: PausingClient, holds: DueTimeHolds, restoring: Callable[[], set[int]] | None
    ) -> None:
        """`restoring`: partition numbers whose order memory is being read (`MemoryLog.restoring`);
        None without the group's memory topics (nothing is ever gated)."""
        self._client, self._holds, self._restoring = client, holds, restoring
        self.paused: set[TP] = set()  # as last told to the client
        self.gated: set[TP] = set()  # paused at their first record fetched while memory is restored

    def stopped(self, tp: TP) -> bool:
        """A record of `tp` fetched before its hold or gate took effect: drop it, it comes again."""
        return self._holds.is_held(tp) or tp in self.gated

    def hold(self, tp: TP, offset: int, due_at_ms: int) -> None:
        self._pause_at(tp, offset)
        self._holds.hold(tp, offset, due_at_ms)

    def gate(self, tp: TP, offset: int) -> None:
        """A record of a partition whose memory is still being read: pause the partition there
        until it is. Not at the assignment: a partition paused then and resumed while librdkafka still
        looks up its start offset has that lookup outdated and retried after a backoff (its debug log:
        "Not resuming stopped … (state offset-query)"), 0.5-1 s of idle NetSuite slots per rebalance
        (bench.consumer). Here its position is known: the seek makes it fetch from this record again.
        The record is of the current assignment: one fetched before a revoke of its partition is
        dropped by the poll loop, and the partition cannot be assigned again within the same turn (the
        group's rejoin starts only after the revoke callback has returned)."""
        self._pause_at(tp, offset)
        self.gated.add(tp)

    def apply(
        self, assigned: set[TP], *, all_of_them: bool, now_ms: int, behind: AbstractSet[TP] = frozenset()
    ) -> None:
        """Tell the client what to pause and resume this turn: due holds released, gates whose memory
        is read lifted, the partitions `behind` (over their uncommitted window) paused, and every
        assigned partition paused while `all_of_them` (backpressure)."""
        self._holds.release_due(now_ms)
        if self.gated and self._restoring is not None:
            restoring = self._restoring()
            self.gated = {tp for tp in self.gated if tp[1] in restoring}
        want = set(assigned) if all_of_them else (self._holds.held() | self.gated | behind) & assigned
        pause, resume = want - self.paused, (self.paused - want) & assigned
        if pause:
            self._client.pause([TopicPartition(t, p) for t, p in pause])
        if resume:
            self._client.resume([TopicPartition(t, p) for t, p in resume])
        self.paused = want

    def keep_only(self, assigned: set[TP]) -> None:
        """After a rebalance: forget partitions that are no longer assigned."""
        self.paused &= assigned
        self.gated &= assigned

    def _pause_at(self, tp: TP, offset: int) -> None:
        part = TopicPartition(tp[0], tp[1], offset)
        self._client.pause([part])
        self.paused.add(tp)
        self._client.seek(part)
