"""The member's memory: merges where the newest always wins, what it publishes, and when it is complete."""

from __future__ import annotations

import threading
from typing import Any

from consumer.pipeline.codec import decode_customer, decode_order, encode_customer, encode_order
from consumer.pipeline.memory import KeyedLocks, WriteMemory, merge_customer, merge_order
from consumer.pipeline.versions import CANCELLED, CustomerMemory, OrderMemory, Placed
from tests.unit.kafka_support import FakeMessage

V1, V2 = "2026-11-01T10:00:00", "2026-11-02T10:00:00"
OLD, NEW = Placed("2026-11-01T10:00:00", 7), Placed("2026-11-05T10:00:00", 9)


class RecordingSink:
    def __init__(self) -> None:
        self.orders: list[tuple[int, int, OrderMemory]] = []
        self.customers: list[tuple[str, CustomerMemory]] = []

    def order_changed(self, partition: int, order_id: int, memory: OrderMemory) -> None:
        self.orders.append((partition, order_id, memory))

    def customer_changed(self, external_id: str, memory: CustomerMemory) -> None:
        self.customers.append((external_id, memory))


def test_order_merges_keep_the_newest_written_and_the_newest_parked_whatever_the_order() -> None:
    a = OrderMemory(V1, "fp1", None)
    b = OrderMemory(V2, "fp2", V1)
    c = OrderMemory(None, None, V2)
    for first, second, third in ((a, b, c), (c, b, a), (b, a, c)):
        merged = merge_order(merge_order(merge_order(None, first), second), third)
        assert merged == OrderMemory(V2, "fp2", V2)


def test_once_only_records_booked_are_never_forgotten_by_a_merge() -> None:
    """A refund booked by an older version's write stays booked when a newer version is merged."""
    older = OrderMemory(V1, "fp1", None, frozenset({"WOO_REFUND_7"}))
    newer = OrderMemory(V2, "fp2", None, frozenset({"WOO_REFUND_9"}))
    for first, second in ((older, newer), (newer, older)):
        merged = merge_order(merge_order(None, first), second)
        assert merged.booked == frozenset({"WOO_REFUND_7", "WOO_REFUND_9"})


def test_an_unchanged_skip_keeps_the_fingerprint_it_confirms() -> None:
    assert merge_order(OrderMemory(V1, "fp1"), OrderMemory(V1, None)) == OrderMemory(V1, "fp1")


def test_customer_merges_keep_the_most_recently_placed_order() -> None:
    old, new = CustomerMemory("1", OLD, "a"), CustomerMemory("1", NEW, "b")
    assert merge_customer(merge_customer(None, new), old) == new
    assert merge_customer(merge_customer(None, old), new) == new
    unversioned = CustomerMemory("1", None, None)
    assert merge_customer(unversioned, old) == old
    assert merge_customer(old, unversioned) == old


def test_changes_are_published_and_changes_read_back_are_not() -> None:
    memory, sink = WriteMemory(), RecordingSink()
    memory.sink = sink
    memory.remember_order(2, 41, lambda m: OrderMemory(V1, "fp", m.parked))
    memory.apply_order(2, 42, OrderMemory(V2, "fp"))  # from the changelog: not published again
    memory.remember_customer("WOO_CUST_1", CustomerMemory("1", NEW, "b"))
    memory.remember_customer("WOO_CUST_1", CustomerMemory("1", OLD, "a"))  # older: kept out, not published
    assert sink.orders == [(2, 41, OrderMemory(V1, "fp"))]
    assert sink.customers == [("WOO_CUST_1", CustomerMemory("1", NEW, "b"))]
    assert memory.order(42) == OrderMemory(V2, "fp")


def test_the_horizon_is_where_memory_may_have_forgotten_orders() -> None:
    """Evicted from the bounded memory, or older than the changelog keeps them (30 days)."""
    now = 1_764_000_000.0  # 2025-11-24T16:00:00Z
    memory = WriteMemory(orders_max=2, retention_s=3600, clock=lambda: now)
    assert memory.order_horizon() is None  # one member's memory: nothing to say
    memory.sink = RecordingSink()
    assert memory.order_horizon() == "2025-11-24T15:00:00"  # the retention's edge
    for n, version in enumerate(("2025-11-24T15:30:00", "2025-11-24T15:40:00", "2025-11-24T15:50:00")):
        memory.apply_order(0, n, OrderMemory(version))
    assert memory.order(0) is None  # evicted
    assert memory.order_horizon() == "2025-11-24T15:30:00"


def test_an_unknown_order_created_is_written_blindly_only_past_the_horizon() -> None:
    from consumer.pipeline.versions import Decision, order_decision

    def decide(version: str, **kwargs: object) -> Decision:
        return order_decision(version, None, from_retry=False, event="order.created", **kwargs)  # type: ignore[arg-type]

    assert decide(V2, horizon=V1) is Decision.WRITE  # a new order
    assert decide(V1, horizon=V1) is Decision.READ_FIRST  # memory may have forgotten it
    assert decide(V2, horizon=None) is Decision.WRITE  # no group memory: the documented limit
    assert decide(V2, horizon=V1, redriven=True) is Decision.READ_FIRST  # a redrive is old by nature


def test_a_rebalance_forgets_customers_only_when_the_memory_is_not_shared() -> None:
    alone, shared = WriteMemory(), WriteMemory()
    shared.sink = RecordingSink()
    for memory in (alone, shared):
        memory.apply_customer("WOO_CUST_1", CustomerMemory("1", NEW))
        memory.apply_order(0, 1, OrderMemory(V1))
        memory.apply_order(1, 2, OrderMemory(V1))
        memory.forget({0})
        assert memory.order(1) is None
        assert memory.order(2) == OrderMemory(V1)
    assert alone.customer("WOO_CUST_1") is None
    assert shared.customer("WOO_CUST_1") == CustomerMemory("1", NEW)


def test_changelog_values_round_trip() -> None:
    for order in (
        OrderMemory(V1, "fp", V2),
        OrderMemory(None, None, V1),
        OrderMemory(V1, "fp", None, frozenset({"WOO_REFUND_7", "WOO_REFUND_9"})),
    ):
        assert decode_order(encode_order(order)) == order
    assert (
        decode_order(b'{"w": "2026-11-01T10:00:00", "f": "fp", "p": null}').booked == frozenset()
    )  # an entry from before
    for customer in (CustomerMemory("77", NEW, "fp"), CustomerMemory("77", None, None)):
        assert decode_customer(encode_customer(customer)) == customer


def test_keyed_locks_serialise_one_key_and_not_others() -> None:
    locks, inside, release = KeyedLocks(), threading.Event(), threading.Event()
    order: list[str] = []

    def first() -> None:
        with locks.hold("c1"):
            inside.set()
            release.wait(5)
            order.append("first")

    worker = threading.Thread(target=first)
    worker.start()
    inside.wait(5)
    with locks.hold("c2"):  # another key is free
        order.append("other")

    def second() -> None:
        with locks.hold("c1"):
            order.append("second")

    waiter = threading.Thread(target=second)
    waiter.start()
    release.set()
    worker.join(5)
    waiter.join(5)
    assert order == ["other", "first", "second"]
    assert locks._locks == {}  # nothing kept once released


class FakeProducer:
    """Takes what `MemoryLog` produces; `flush` delivers it, failing the first `fail` deliveries."""

    def __init__(self, fail: int = 0) -> None:
        self.fail, self.sent = fail, []  # type: ignore[var-annotated]
        self._pending: list[Any] = []

    def produce(self, topic: str, value: bytes, key: bytes, **kwargs: Any) -> None:
        self._pending.append((topic, key, value, kwargs["on_delivery"]))

    def flush(self, timeout: float) -> int:
        pending, self._pending = self._pending, []
        for topic, key, value, on_delivery in pending:
            if self.fail:
                self.fail -= 1
                on_delivery(_Error(), None)
            else:
                self.sent.append((topic, key, value))
                on_delivery(None, None)
        return 0


class _Error:
    def name(self) -> str:
        return "_MSG_TIMED_OUT"


def memory_log(memory: WriteMemory, producer: FakeProducer) -> Any:
    from consumer.pipeline.changelog import MemoryLog

    log = MemoryLog({"bootstrap.servers": "127.0.0.1:1"}, "o.memory", "o.customers", memory, {})
    log._producer = producer  # type: ignore[assignment]
    return log


def test_a_memory_change_the_broker_refused_is_published_again_before_any_commit() -> None:
    """`flush` said yes although a delivery had failed, the offset was committed, and the successor
    restored an older entry (then skipped a changed order as unchanged)."""
    memory, producer = WriteMemory(), FakeProducer(fail=1)
    log = memory_log(memory, producer)
    memory.remember_order(3, 41, lambda m: OrderMemory(V2, "fp2"))
    assert log.flush(1.0) is True  # refused once, published again with the entry's current state
    assert [(t, k) for t, k, _ in producer.sent] == [("o.memory", b"41")]
    assert decode_order(producer.sent[0][2]) == OrderMemory(V2, "fp2")
    producer.fail = 10
    memory.remember_order(3, 42, lambda m: OrderMemory(V1, "fp1"))
    assert log.flush(1.0) is False  # still refused: no commit (the poll loop tries again)
    producer.fail = 0
    assert log.flush(1.0) is True
    log.reader._consumer.close()


def test_every_change_read_back_is_applied_a_members_own_included() -> None:
    """Skipping its own changes lost them when a partition came back to the member (B → A → C → A)."""
    memory = WriteMemory()
    log = memory_log(memory, FakeProducer())
    log.reader._orders_assigned = {0: 1}
    log.reader._apply(FakeMessage("o.memory", 0, b"41", encode_order(OrderMemory(V2, "fp2"))))
    log.reader._apply(FakeMessage("o.customers", 1, b"WOO_CUST_1", encode_customer(CustomerMemory("1", NEW))))
    assert memory.order(41) == OrderMemory(V2, "fp2")
    assert memory.customer("WOO_CUST_1") == CustomerMemory("1", NEW)
    log.reader._consumer.close()


def test_an_unreadable_entry_is_skipped_and_the_rest_of_its_batch_applied() -> None:
    memory = WriteMemory()
    log = memory_log(memory, FakeProducer())
    log.reader._orders_assigned = {0: 1}
    log.reader._apply_all(
        [
            FakeMessage("o.memory", 0, b"not-an-id", encode_order(OrderMemory(V1))),
            FakeMessage("o.memory", 0, b"41", b"{broken json"),
            FakeMessage("o.memory", 0, b"42", encode_order(OrderMemory(V2))),
        ]
    )
    assert memory.order(42) == OrderMemory(V2)
    log.reader._consumer.close()


def test_a_cancellation_wins_a_tie_in_the_changelog() -> None:
    cancelled = OrderMemory(V1, CANCELLED, None)
    assert merge_order(cancelled, OrderMemory(V1, "f" * 64, None)) == cancelled
    assert merge_order(cancelled, OrderMemory(V2, "f" * 64, None)) == OrderMemory(V2, "f" * 64, None)
