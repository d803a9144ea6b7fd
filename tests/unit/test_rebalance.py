"""The rebalance callbacks (consumer/rebalance.py) with fake clients: shares, leases, memory."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from confluent_kafka import TopicPartition

from consumer.netsuite.governor import Governor
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.lease import Leases
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.versions import OrderMemory
from consumer.rebalance import Rebalance


class Metadata:
    """`AdminClient.list_topics` with a partition count per topic that tests change, or a failure."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts, self.fail = counts, False

    def list_topics(self, timeout: float) -> Any:
        if self.fail:
            raise RuntimeError("broker unreachable")

        class _Md:
            topics = {
                t: type("T", (), {"partitions": dict.fromkeys(range(n))}) for t, n in self.counts.items()
            }

        return _Md()


class FakeConsumer:
    def __init__(self) -> None:
        self.paused: list[tuple[str, int]] = []
        self.resumed: list[tuple[str, int]] = []

    def incremental_assign(self, partitions: list[TopicPartition]) -> None: ...

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.resumed += [(p.topic, p.partition) for p in partitions]

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused += [(p.topic, p.partition) for p in partitions]


def rebalance(
    metadata: Metadata,
    governor: Governor,
    memory: WriteMemory | None = None,
    *,
    memory_log: Any = None,
    on_change: Callable[[set[tuple[str, int]]], None] = lambda _: None,
) -> Rebalance:
    """`memory_log`: a fake with `track`/`untrack`/`restoring` (the group's memory topics), or None."""
    return Rebalance(
        metadata,  # type: ignore[arg-type]
        ["orders", "orders.retry.1"],
        Leases(threading.Event()),
        OffsetTracker(),
        DueTimeHolds(),
        memory or WriteMemory(),
        governor,
        commit=lambda **_: None,
        call_timeout_s=1,
        on_change=on_change,
        memory_log=memory_log,
    )


def parts(*tps: tuple[str, int]) -> list[TopicPartition]:
    return [TopicPartition(t, p) for t, p in tps]


def test_the_partition_total_is_read_again_on_every_rebalance() -> None:
    """A retry topic created (or partitions added) after start must shrink this member's share."""
    metadata, governor = Metadata({"orders": 2}), Governor(10)
    r = rebalance(metadata, governor)
    r.assign(FakeConsumer(), parts(("orders", 0), ("orders", 1)))  # type: ignore[arg-type]
    assert governor.share == 10  # 2 of 2 partitions
    metadata.counts["orders.retry.1"] = 2
    r.revoke(FakeConsumer(), parts(("orders", 0)))  # type: ignore[arg-type]
    assert governor.share == 2  # 1 of 4, not 1 of 2


def test_the_owner_of_the_main_topics_partition_0_takes_the_leftover_slot() -> None:
    """Two members of a limit of 15 on 24 partitions: 8 + 7, not 7 + 7 (one slot never used)."""
    counts = {"orders": 6, "orders.retry.1": 18}
    first, second = Governor(15), Governor(15)
    rebalance(Metadata(counts), first).assign(
        FakeConsumer(),  # type: ignore[arg-type]
        parts(*[("orders", p) for p in (0, 2, 4)], *[("orders.retry.1", p) for p in range(9)]),
    )
    rebalance(Metadata(counts), second).assign(
        FakeConsumer(),  # type: ignore[arg-type]
        parts(*[("orders", p) for p in (1, 3, 5)], *[("orders.retry.1", p) for p in range(9, 18)]),
    )
    assert (first.share, second.share) == (8, 7)


def test_a_failed_metadata_read_never_raises_in_a_callback() -> None:
    metadata, governor = Metadata({"orders": 2, "orders.retry.1": 2}), Governor(8)
    r = rebalance(metadata, governor)
    r.assign(FakeConsumer(), parts(("orders", 0)))  # type: ignore[arg-type]
    metadata.fail = True
    r.assign(FakeConsumer(), parts(("orders", 1), ("orders.retry.1", 0), ("orders.retry.1", 1)))  # type: ignore[arg-type]
    assert governor.share == 8  # the last total (4), never fewer than assigned: 4 of 4


def test_a_revoked_partition_ends_its_leases_and_forgets_its_orders() -> None:
    memory = WriteMemory()
    r = rebalance(Metadata({"orders": 2}), Governor(4), memory)
    r.assign(FakeConsumer(), parts(("orders", 0), ("orders", 1)))  # type: ignore[arg-type]
    lease = r._leases.lease(("orders", 0))
    memory.apply_order(0, 10, OrderMemory("v"))
    memory.apply_order(1, 11, OrderMemory("v"))
    r.revoke(FakeConsumer(), parts(("orders", 0)))  # type: ignore[arg-type]
    assert not lease.active
    assert (memory.order(10), memory.order(11)) == (None, OrderMemory("v"))


def test_partitions_whose_memory_is_being_restored_are_assigned_fetching() -> None:
    """Not paused at the assignment: resumed ~0.1 s later, while librdkafka still looked up their
    start offset, the lookup was retried after a backoff — up to a second with every NetSuite slot
    idle, at every rebalance. Their records wait in the poll loop instead (`Runner._gate`)."""

    class Restoring:
        def track(self, partitions: set[int]) -> None: ...

        def restoring(self) -> set[int]:
            return {0}

    changes: list[set[tuple[str, int]]] = []
    consumer = FakeConsumer()
    r = rebalance(
        Metadata({"orders": 2}),
        Governor(4),
        memory_log=Restoring(),
        on_change=lambda a: changes.append(set(a)),
    )
    r.assign(consumer, parts(("orders", 0), ("orders", 1)))  # type: ignore[arg-type]
    assert consumer.paused == []
    assert consumer.resumed == [("orders", 0), ("orders", 1)]  # a pause flag kept from before is lifted
    assert changes[-1] == {("orders", 0), ("orders", 1)}
