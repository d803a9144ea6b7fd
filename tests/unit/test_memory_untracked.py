"""A full memory costs the garbage collector nothing to walk (`consumer.pipeline.packed`).

A member keeps up to 100,000 orders and 200,000 customers; as tracked objects, every full collection
walked them all with the GIL held (0.49 s at the default bounds, `python -m bench.memory`), every
thread of the member frozen meanwhile. Counted here as objects, not timed.
"""

from __future__ import annotations

import gc

from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed

ENTRIES = 5_000


def _tracked_after(fill: WriteMemory) -> int:
    gc.collect()
    gc.collect()  # a tuple holding a tuple is untracked one collection after its content
    return len(gc.get_objects())


def test_remembered_orders_and_customers_leave_the_collector_s_walk() -> None:
    memory = WriteMemory()
    before = _tracked_after(memory)
    for i in range(ENTRIES):
        booked = frozenset({f"WOO_PAY_{i}", f"WOO_REFUND_{i}"})
        memory.remember_order(i % 6, i, lambda m, i=i, b=booked: OrderMemory(f"v{i}", f"fp{i}", f"p{i}", b))
        memory.apply_order(i % 6, ENTRIES + i, OrderMemory(f"v{i}", f"fp{i}", None))
        memory.remember_customer(
            f"WOO_CUST_{i}", CustomerMemory(str(i), Placed("2026-12-01T10:00:00", i), "fp")
        )
        memory.apply_customer(f"WOO_CUST_{ENTRIES + i}", CustomerMemory(str(i), None, None))
    grown = _tracked_after(memory) - before
    assert grown < ENTRIES // 50, f"{grown} objects tracked for {4 * ENTRIES} entries"


def test_what_is_read_back_is_what_was_remembered() -> None:
    memory = WriteMemory()
    order = OrderMemory("v2", "fp", "v3", frozenset({"WOO_REFUND_9", "WOO_PAY_1"}))
    assert memory.remember_order(2, 1, lambda _m: order) == order
    assert memory.order(1) == order
    memory.apply_order(3, 2, OrderMemory())
    assert memory.order(2) == OrderMemory()
    for customer in (
        CustomerMemory("7", Placed("2026-12-01T10:00:00", 4), "fp"),
        CustomerMemory("8", None, None),
    ):
        memory.remember_customer(customer.internal_id, customer)
        assert memory.customer(customer.internal_id) == customer
