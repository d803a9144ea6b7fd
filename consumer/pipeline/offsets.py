"""Which offsets may be committed: the contiguous prefix of finished records, per partition.

Records of one partition finish out of order (different orders run in parallel), so the commit
point is the first offset that is not finished yet — as Confluent's Parallel Consumer does. A
crash re-delivers everything from there; the NetSuite writes are idempotent, so that is safe.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

TopicPartitionKey = tuple[str, int]


@dataclass
class _PartitionState:
    pending: set[int] = field(default_factory=set)
    finished: dict[int, float] = field(default_factory=dict)  # offset → when, until committed
    highest_seen: int = -1
    committed: int | None = None  # the next offset to read, as Kafka stores it

    def position(self) -> int | None:
        """Every offset we were handed below the lowest pending one is finished."""
        if self.pending:
            return min(self.pending)
        return self.highest_seen + 1 if self.highest_seen >= 0 else None


class OffsetTracker:
    """Thread-safe: the poll thread adds, workers finish, the poll thread asks what to commit."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._parts: dict[TopicPartitionKey, _PartitionState] = {}
        self._clock = clock

    def add(self, tp: TopicPartitionKey, offset: int) -> None:
        with self._lock:
            state = self._parts.setdefault(tp, _PartitionState())
            state.pending.add(offset)
            state.highest_seen = max(state.highest_seen, offset)

    def finish(self, tp: TopicPartitionKey, offset: int) -> None:
        with self._lock:
            state = self._parts.get(tp)
            if state is None or offset not in state.pending:
                return  # the partition was revoked meanwhile: its new owner re-processes it
            state.pending.discard(offset)
            state.finished[offset] = self._clock()

    def committable(self, *, force: bool = False) -> dict[TopicPartitionKey, int]:
        """Next offset to commit per partition: where it moved since the last acknowledged commit,
        or (`force`, for revoke and shutdown) every known position."""
        out: dict[TopicPartitionKey, int] = {}
        with self._lock:
            for tp, state in self._parts.items():
                position = state.position()
                if position is not None and (force or position != state.committed):
                    out[tp] = position
        return out

    def mark_committed(self, offsets: dict[TopicPartitionKey, int]) -> list[float]:
        """The broker acknowledged these positions; returns how long each record newly covered by
        them waited between finishing and this acknowledgement (seconds)."""
        now = self._clock()
        waited: list[float] = []
        with self._lock:
            for tp, offset in offsets.items():
                state = self._parts.get(tp)
                if state is None:
                    continue
                state.committed = offset
                done = [o for o in state.finished if o < offset]
                waited.extend(now - state.finished.pop(o) for o in done)
        return waited

    def in_flight(self, tp: TopicPartitionKey | None = None) -> int:
        with self._lock:
            if tp is not None:
                state = self._parts.get(tp)
                return len(state.pending) if state else 0
            return sum(len(s.pending) for s in self._parts.values())

    def over_window(self, limit: int) -> set[TopicPartitionKey]:
        """Partitions with `limit` or more records handed on since their last acknowledged commit
        (unfinished, or finished past the first unfinished one): what a crash would redo."""
        with self._lock:
            return {tp for tp, s in self._parts.items() if len(s.pending) + len(s.finished) >= limit}

    def first_unfinished(self, tp: TopicPartitionKey) -> int | None:
        with self._lock:
            state = self._parts.get(tp)
            return min(state.pending) if state is not None and state.pending else None

    def forget(self, tps: list[TopicPartitionKey]) -> None:
        """Drop revoked partitions: late finishes for them are ignored."""
        with self._lock:
            for tp in tps:
                self._parts.pop(tp, None)
