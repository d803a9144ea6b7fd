"""How far a partition may run ahead of its commit (`CONSUMER_MAX_UNCOMMITTED`). Poll thread only.

The commit stops at a partition's first unfinished record; what was handed on past it is redone after
a crash or a rebalance. The in-flight cap counts only unfinished records, so one record stuck in a slow
call — or commits postponed while the memory topic does not acknowledge — would let the finished
records behind it pile up for as long as that lasts. A partition with `limit` records handed on since
its last acknowledged commit is paused (`Pauses`, without a seek) until the broker acknowledges a
commit below that; the others keep flowing.
"""

from __future__ import annotations

import logging

from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.offsets import TopicPartitionKey as TP

log = logging.getLogger(__name__)


class Window:
    def __init__(self, tracker: OffsetTracker, limit: int) -> None:
        self._tracker, self.limit = tracker, limit
        self._behind: set[TP] = set()

    def behind(self) -> set[TP]:
        """The partitions to keep paused this turn; each pause and resume logged once, the pause with
        its cause (a record still running, or commits not acknowledged: none unfinished)."""
        now = self._tracker.over_window(self.limit)
        for tp in now - self._behind:
            first = self._tracker.first_unfinished(tp)
            cause = "commits not acknowledged" if first is None else f"first unfinished at offset {first}"
            log.warning(
                "%s/%s paused: %d records handed on since its last commit (CONSUMER_MAX_UNCOMMITTED; %s)",
                *tp, self.limit, cause,
            )  # fmt: skip
        for topic, partition in self._behind - now:
            log.info("%s/%s fetches again: its commit caught up", topic, partition)
        self._behind = now
        return now

    def keep_only(self, assigned: set[TP]) -> None:
        """After a rebalance: a partition that left is forgotten (its window did not clear, it moved:
        no 'fetches again'), also when it is assigned again within the same poll."""
        self._behind &= assigned
