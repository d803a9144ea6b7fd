"""What a full garbage collection costs with the member's memory at its bounds.

A full collection walks every object the collector tracks, holding the GIL: every worker, the poll
loop and every answer on the wire wait for it. The baseline is the memory as it was kept before
`consumer.pipeline.packed` (dataclasses, the order's frozenset, the LRU's tuple), built in the same
run from the same entries; ours is `WriteMemory` itself.
"""

from __future__ import annotations

import gc
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import partial

from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed

ROUNDS = 5


def entries(i: int) -> tuple[OrderMemory, CustomerMemory]:
    """One order (half of them paid: one booked record) and one customer as a busy member keeps them."""
    order = OrderMemory(
        f"2026-12-01T10:{i % 60:02d}:00",
        f"{i:064x}",
        None,
        frozenset({f"WOO_PAY_{i}"}) if i % 2 else frozenset(),
    )
    return order, CustomerMemory(str(i), Placed("2026-12-01T10:00:00", i), f"{i:064x}")


def full_collection_ms(build: Callable[[], object]) -> tuple[float, int]:
    """(the fastest of ROUNDS full collections, ms; objects tracked) while what `build` made is alive."""
    kept = build()
    gc.collect()  # the first collection untracks the packed tuples
    best = min(_timed(gc.collect) for _ in range(ROUNDS))
    tracked = len(gc.get_objects())
    del kept
    return best * 1000, tracked


def as_before(orders: int, customers: int) -> object:
    by_order: OrderedDict[int, tuple[int, OrderMemory]] = OrderedDict()
    by_customer: OrderedDict[str, CustomerMemory] = OrderedDict()
    for i in range(max(orders, customers)):
        order, customer = entries(i)
        if i < orders:
            by_order[i] = (i % 6, order)
        if i < customers:
            by_customer[f"WOO_CUST_{i}"] = customer
    return by_order, by_customer


def ours(orders: int, customers: int) -> WriteMemory:
    memory = WriteMemory(orders_max=orders, customers_max=customers)
    for i in range(max(orders, customers)):
        order, customer = entries(i)
        if i < orders:
            memory.apply_order(i % 6, i, order)
        if i < customers:
            memory.apply_customer(f"WOO_CUST_{i}", customer)
    return memory


def compare(orders: int, customers: int) -> list[tuple[str, float, int]]:
    """[(which, ms, tracked objects)] for the baseline, then ours."""
    out = []
    for name, build in (("as before (dataclasses)", as_before), ("ours (packed)", ours)):
        ms, tracked = full_collection_ms(partial(build, orders, customers))
        out.append((name, ms, tracked))
    return out


def _timed(step: Callable[[], object]) -> float:
    started = time.perf_counter()
    step()
    return time.perf_counter() - started
