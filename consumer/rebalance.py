"""The group rebalance callbacks of one member: assign, revoke, lost. Run on the poll thread.

* **assign** — a new epoch per partition (`Leases.grant`), a fresh memory for those partitions
  (another member may have written their orders meanwhile) — restored from the changelog when the
  group shares its memory, or caught up to the changelog's end when a main partition's number is
  held via a retry topic already (`consumer.pipeline.restores`; the poll loop holds their records back
  until it is: `consumer.pipeline.pauses`) — the partitions resumed (librdkafka keeps a partition's
  pause flag across revoke and re-assign), and the governor's share recomputed.
* **revoke** — the partitions' leases end *first*, so queued and waiting records of them start no
  NetSuite call from here on; then only the calls already on the wire are waited for (bounded by
  the client's connect + read timeout), what finished is committed, and the partitions are
  forgotten. The zombie window is therefore at most one call per record in flight, each at most
  the NetSuite timeouts long — never a queue of records starting calls during a drain.
* **lost** — the partitions already belong to someone else: leases end, nothing is committed.

The partition total behind the governor's share is read afresh on every rebalance (topics created
or grown after start count), and nothing here raises: a failed metadata read keeps the last total.
It is read through a client of its own (an `AdminClient`): a metadata call on the consumer's handle
can serve a pending commit callback outside of a confluent-kafka call, which aborts the process
(`CallState_get: Assertion cs != NULL`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from consumer import metrics
from consumer.netsuite.governor import Governor
from consumer.pipeline.changelog import MemoryLog
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.lease import Leases
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.offsets import TopicPartitionKey as TP

log = logging.getLogger(__name__)


class Rebalance:
    def __init__(
        self,
        metadata: AdminClient,
        topics: list[str],
        leases: Leases,
        tracker: OffsetTracker,
        holds: DueTimeHolds,
        memory: WriteMemory,
        governor: Governor,
        *,
        commit: Callable[..., None],
        call_timeout_s: float,
        on_change: Callable[[set[TP]], None],
        memory_log: MemoryLog | None = None,
    ) -> None:
        self._metadata, self._topics, self._leases = metadata, topics, leases  # the main topic first
        self._tracker, self._holds, self._memory, self._governor = tracker, holds, memory, governor
        self._commit, self._call_timeout_s, self._on_change = commit, call_timeout_s, on_change
        self._memory_log = memory_log
        self.assigned: set[TP] = set()
        self.shutting_down = False
        self._total_partitions = 0

    def assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        consumer.incremental_assign(partitions)
        tps = {(p.topic, p.partition) for p in partitions}
        numbers, held = {p for _, p in tps}, {p for _, p in self.assigned}
        if self._memory_log is None:
            self._memory.forget(numbers)
        else:
            self._memory.forget(numbers - held)  # a number held via another topic keeps its memory
            # a new number is restored; a held one is caught up when its main partition arrives (its
            # records trust the memory; a retry record reads NetSuite first: versions table, row 1)
            main = {p for t, p in tps if t == self._topics[0]}
            self._memory_log.track((numbers - held) | (main & held))
        consumer.resume(partitions)
        self._leases.grant(tps)
        self.assigned |= tps
        self._changed()
        log.info("assigned %d partitions (now %d)", len(tps), len(self.assigned))

    def revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        revoked = {(p.topic, p.partition) for p in partitions}
        self._leases.revoke(revoked)
        if not self.shutting_down and not self._leases.wait_for_calls(revoked, self._call_timeout_s):
            log.warning("revoke: NetSuite calls of revoked partitions still on the wire after %.0fs",
                        self._call_timeout_s)  # fmt: skip
        self._commit(asynchronous=False, only=revoked)
        self._forget(revoked)
        log.info("revoked %d partitions (now %d)", len(revoked), len(self.assigned))

    def lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        lost = {(p.topic, p.partition) for p in partitions}
        self._leases.revoke(lost)
        self._forget(lost)
        log.warning("lost %d partitions (now %d)", len(lost), len(self.assigned))

    def _forget(self, tps: set[TP]) -> None:
        self._tracker.forget(list(tps))
        self._holds.forget(list(tps))
        self.assigned -= tps
        gone = {p for _, p in tps} - {p for _, p in self.assigned}
        self._memory.forget({p for _, p in tps} if self._memory_log is None else gone)
        if self._memory_log is not None:
            self._memory_log.untrack(gone)
        for topic, partition in tps:
            with contextlib.suppress(KeyError):
                metrics.LAG.remove(topic, str(partition))
        self._changed()

    def _changed(self) -> None:
        self._reshare()
        self._on_change(self.assigned)

    def _reshare(self) -> None:
        """The governor's share from the current partition total; never raises."""
        try:
            md = self._metadata.list_topics(timeout=5)
            total = sum(len(md.topics[t].partitions) for t in self._topics if t in md.topics)
        except Exception as exc:  # a rebalance callback must not raise: keep the last known total
            log.warning("partition count unavailable (%s): keeping %d", type(exc).__name__,
                        self._total_partitions)  # fmt: skip
            total = self._total_partitions
        self._total_partitions = max(total, len(self.assigned), 1)
        leftover = (self._topics[0], 0) in self.assigned  # one member, the same in every member's eyes
        self._governor.set_share(len(self.assigned), self._total_partitions, leftover=leftover)
