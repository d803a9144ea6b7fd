"""The member's memory: merges where the newest always wins, what it publishes, and when it is complete."""

from __future__ import annotations

import threading

from consumer.pipeline.changelog import decode_customer, decode_order, encode_customer, encode_order
from consumer.pipeline.memory import KeyedLocks, WriteMemory, merge_customer, merge_order
from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed

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


def test_customer_memory_is_complete_only_when_read_whole_and_nothing_was_evicted_or_lost() -> None:
    memory = WriteMemory(customers_max=2)
    assert not memory.customers_complete
    memory.mark_customers_complete()
    memory.sink = RecordingSink()
    assert memory.customers_complete
    for n in range(3):
        memory.apply_customer(f"WOO_CUST_{n}", CustomerMemory(str(n), NEW))
    assert not memory.customers_complete  # one was evicted: "not remembered" proves nothing now
    memory = WriteMemory()
    memory.mark_customers_complete()
    memory.sink_failed()
    assert not memory.customers_complete


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
    for order in (OrderMemory(V1, "fp", V2), OrderMemory(None, None, V1)):
        assert decode_order(encode_order(order)) == order
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
