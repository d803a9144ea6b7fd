"""The memory's entries in a form the garbage collector stops walking.

A member remembers up to `CONSUMER_MEMORY_ORDERS_MAX` orders (100,000) and twice as many customers.
As dataclasses (with the order's frozenset and the LRU's tuple) that was ~700,000 tracked objects,
and every full collection walks every tracked object with the GIL held: 0.49 s on the CI-sized box
against 62 ms packed (`python -m bench.memory`), every worker, the poll loop and the answers on the
wire frozen meanwhile. CPython runs one when the objects that outlived younger collections since the
last grew by a quarter: ~175,000 new objects at that size, some 12 minutes at 50 orders/s. It stops
tracking an exact tuple once a collection sees that it holds only strings, numbers, None and such
tuples, so entries are stored as those and unpacked when read (~1.5 µs).
"""

from __future__ import annotations

from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed

# (partition, written, fingerprint, parked, booked external ids, sorted)
PackedOrder = tuple[int, str | None, str | None, str | None, tuple[str, ...]]
# (internal id, placed (created, order id) or None, fingerprint)
PackedCustomer = tuple[str, tuple[str, int] | None, str | None]


def pack_order(partition: int, memory: OrderMemory) -> PackedOrder:
    return partition, memory.written, memory.fingerprint, memory.parked, tuple(sorted(memory.booked))


def unpack_order(packed: PackedOrder) -> OrderMemory:
    _partition, written, fingerprint, parked, booked = packed
    return OrderMemory(written, fingerprint, parked, frozenset(booked))


def pack_customer(memory: CustomerMemory) -> PackedCustomer:
    placed = None if memory.placed is None else (memory.placed.created_gmt, memory.placed.order_id)
    return memory.internal_id, placed, memory.fingerprint


def unpack_customer(packed: PackedCustomer) -> CustomerMemory:
    internal_id, placed, fingerprint = packed
    return CustomerMemory(internal_id, None if placed is None else Placed(*placed), fingerprint)
