"""Records of a retry topic wait until their `x-due-at-ms`: the partition is paused, not slept on.

The runner pauses the partition and seeks back to the held record, then keeps polling (so
`max.poll.interval.ms` never expires and the group stays healthy); when the record is due the
partition is resumed and the record arrives again. Holds of a revoked partition are forgotten, so
a partition that comes back is never left paused (spring-kafka #2525).
"""

from __future__ import annotations

from dataclasses import dataclass

TopicPartitionKey = tuple[str, int]


@dataclass(frozen=True)
class Hold:
    offset: int
    due_at_ms: int


class DueTimeHolds:
    """Owned by the poll thread only: no locking."""

    def __init__(self) -> None:
        self._holds: dict[TopicPartitionKey, Hold] = {}

    def hold(self, tp: TopicPartitionKey, offset: int, due_at_ms: int) -> None:
        self._holds[tp] = Hold(offset, due_at_ms)

    def is_held(self, tp: TopicPartitionKey) -> bool:
        return tp in self._holds

    def held(self) -> set[TopicPartitionKey]:
        return set(self._holds)

    def release_due(self, now_ms: int) -> list[TopicPartitionKey]:
        due = [tp for tp, h in self._holds.items() if h.due_at_ms <= now_ms]
        for tp in due:
            del self._holds[tp]
        return due

    def next_due_ms(self) -> int | None:
        return min((h.due_at_ms for h in self._holds.values()), default=None)

    def forget(self, tps: list[TopicPartitionKey]) -> None:
        for tp in tps:
            self._holds.pop(tp, None)
