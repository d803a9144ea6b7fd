"""What this member last wrote to NetSuite: so unchanged re-writes and stale versions cost no call.

Partition-affine: the runner clears it on every rebalance, because after a partition moves, another
member may have written newer versions of its orders. Bounded (LRU) so it never grows unchecked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class WrittenCustomer:
    internal_id: str
    fingerprint: str


@dataclass(frozen=True)
class WrittenOrder:
    version: str  # date_modified_gmt of the version written
    fingerprint: str


class _Lru(Generic[K, V]):
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

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._capacity:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


class WriteMemory:
    def __init__(self, capacity: int = 100_000) -> None:
        self.customers: _Lru[str, WrittenCustomer] = _Lru(capacity)
        self.orders: _Lru[int, WrittenOrder] = _Lru(capacity)
        # order id → newest version this member sent from the main topic to a retry topic
        self.parked: _Lru[int, str] = _Lru(capacity)

    def clear(self) -> None:
        self.customers.clear()
        self.orders.clear()
        self.parked.clear()
