"""What this member knows it wrote to NetSuite: so unchanged re-writes and stale versions cost no call.

Orders are partition-affine: an order's memory belongs to the partition its records come from (the
same number in the main and retry topics), is forgotten when that partition is revoked and started
afresh when it is assigned — another member may have written newer versions meanwhile. Customers
span partitions (one customer, many orders), so what one member remembers of a customer can be
overtaken by another member's write at any time; that memory is forgotten on every rebalance, and
`customers_complete` says whether "not remembered" may be read as "never written"
(`consumer.pipeline.versions`). Bounded (LRU) so it never grows unchecked; thread-safe.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from consumer.pipeline.versions import CustomerMemory, OrderMemory

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def update(self, key: K, change: Callable[[V | None], V]) -> V:
        """Read-modify-write under the lock, so two workers never lose each other's update."""
        with self._lock:
            value = change(self._data.get(key))
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)
            return value

    def drop(self, keep: Callable[[K, V], bool]) -> None:
        with self._lock:
            for key in [k for k, v in self._data.items() if not keep(k, v)]:
                del self._data[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


class WriteMemory:
    customers_complete = False  # this in-process memory starts empty: absence proves nothing

    def __init__(self, capacity: int = 100_000) -> None:
        self._orders: Lru[int, tuple[int, OrderMemory]] = Lru(capacity)  # id → (partition, memory)
        self._customers: Lru[str, CustomerMemory] = Lru(capacity)

    def order(self, order_id: int) -> OrderMemory | None:
        entry = self._orders.get(order_id)
        return None if entry is None else entry[1]

    def remember_order(
        self, partition: int, order_id: int, change: Callable[[OrderMemory], OrderMemory]
    ) -> OrderMemory:
        """Apply `change` to what is known of the order (an empty `OrderMemory` when nothing)."""
        entry = self._orders.update(
            order_id, lambda old: (partition, change(old[1] if old is not None else OrderMemory()))
        )
        return entry[1]

    def customer(self, external_id: str) -> CustomerMemory | None:
        return self._customers.get(external_id)

    def remember_customer(self, external_id: str, memory: CustomerMemory) -> None:
        """Keep the newest: a write from an older order never replaces a newer one's memory."""

        def newest(old: CustomerMemory | None) -> CustomerMemory:
            if old is not None and old.placed is not None and memory.placed is not None:
                return old if old.placed > memory.placed else memory
            return memory

        self._customers.update(external_id, newest)

    def forget(self, partitions: Iterable[int]) -> None:
        """A rebalance: orders of these partitions, and every customer, may be written elsewhere now."""
        gone = set(partitions)
        self._orders.drop(lambda _id, entry: entry[0] not in gone)
        self._customers.drop(lambda _k, _v: False)


class KeyedLocks:
    """One lock per key, alive only while someone holds or waits for it.

    Two orders of one customer run on different workers at once (they are different Kafka keys);
    deciding and writing the customer under its lock makes the second see what the first wrote, so
    an older order can never land its customer data after a newer one's within a member.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._lock:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._lock:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)
