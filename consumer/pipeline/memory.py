"""What the group knows it wrote to NetSuite: so unchanged re-writes and stale versions cost no call.

Orders are partition-affine: an order's memory belongs to the partition its records come from (the
same number in the main and retry topics). Customers span partitions (one customer, many orders).

Alone, this is one member's memory: it starts empty, order memory is started afresh when a
partition is assigned (another member may have written its orders meanwhile), and customer memory
is forgotten on every rebalance. With `consumer.pipeline.changelog.MemoryLog` attached it is the
group's memory: every change is also published to a compacted topic, order memory is restored from
it when a partition is assigned, and every member reads every customer change.

What memory may have lost is tracked as a *horizon* (`order_horizon`): the newest version of an order
evicted from the bounded memory, or older than the changelog's retention. An `order.created` nobody
remembers is written without reading NetSuite first only when it is newer than the horizon — a new
order — never when it could be one memory has forgotten (`consumer.pipeline.versions`).

Changes merge so the newest always wins, whatever order they arrive in (`merge_order`,
`merge_customer`). Bounded (LRU); thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Generic, Protocol, TypeVar

from consumer.pipeline.packed import (
    PackedCustomer,
    PackedOrder,
    pack_customer,
    pack_order,
    unpack_customer,
    unpack_order,
)
from consumer.pipeline.versions import CANCELLED, CustomerMemory, OrderMemory

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    def __init__(self, capacity: int, on_evict: Callable[[K, V], None] = lambda k, v: None) -> None:
        self._data: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._on_evict = on_evict

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
                self._on_evict(*self._data.popitem(last=False))
            return value

    def drop(self, keep: Callable[[K, V], bool]) -> None:
        with self._lock:
            for key in [k for k, v in self._data.items() if not keep(k, v)]:
                del self._data[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._data)


def merge_order(old: OrderMemory | None, new: OrderMemory) -> OrderMemory:
    """The newest written version (with its fingerprint) and the newest parked version win."""
    if old is None:
        return new
    written, fingerprint = old.written, old.fingerprint
    cancellation_kept = old.fingerprint == CANCELLED and new.written == written  # it wins a tie
    if new.written is not None and (written is None or new.written >= written) and not cancellation_kept:
        written, fingerprint = (
            new.written,
            new.fingerprint or (old.fingerprint if new.written == written else None),
        )
    parked = max(old.parked or "", new.parked or "") or None
    return OrderMemory(written, fingerprint, parked, old.booked | new.booked)


def merge_customer(old: CustomerMemory | None, new: CustomerMemory) -> CustomerMemory:
    """Data from the most recently placed order wins; an unversioned change wins over nothing only."""
    if old is None or old.placed is None:
        return new
    if new.placed is None or old.placed > new.placed:
        return old
    return new


class MemorySink(Protocol):
    """Where changes go besides this process (the changelog topics)."""

    def order_changed(self, partition: int, order_id: int, memory: OrderMemory) -> None: ...
    def customer_changed(self, external_id: str, memory: CustomerMemory) -> None: ...


class WriteMemory:
    """Entries are kept packed (`consumer.pipeline.packed`): a full memory costs a full garbage
    collection nothing to walk."""

    def __init__(
        self,
        *,
        orders_max: int = 100_000,
        customers_max: int = 200_000,
        retention_s: float = 30 * 24 * 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._orders: Lru[int, PackedOrder] = Lru(orders_max, self._evicted)
        self._customers: Lru[str, PackedCustomer] = Lru(customers_max)
        self.sink: MemorySink | None = None  # set by the changelog: the memory is the group's then
        self._forgotten_upto = ""  # the newest version evicted from the bounded order memory
        self._retention_s, self._clock = retention_s, clock

    def order_horizon(self) -> str | None:
        """Versions at or below this may belong to orders memory has forgotten (evicted, or past the
        changelog's retention); None when memory is one member's and no horizon can be known."""
        if self.sink is None:
            return None
        cutoff = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self._clock() - self._retention_s))
        return max(cutoff, self._forgotten_upto)

    def _evicted(self, order_id: int, entry: PackedOrder) -> None:
        _partition, written, _fingerprint, parked, _booked = entry
        self._forgotten_upto = max(self._forgotten_upto, written or "", parked or "")

    def order(self, order_id: int) -> OrderMemory | None:
        entry = self._orders.get(order_id)
        return None if entry is None else unpack_order(entry)

    def remember_order(
        self, partition: int, order_id: int, change: Callable[[OrderMemory], OrderMemory]
    ) -> OrderMemory:
        """Apply `change` to what is known of the order (an empty `OrderMemory` when nothing), and
        publish the result."""
        entry = self._orders.update(
            order_id,
            lambda old: pack_order(partition, change(OrderMemory() if old is None else unpack_order(old))),
        )
        memory = unpack_order(entry)
        if self.sink is not None:
            self.sink.order_changed(partition, order_id, memory)
        return memory

    def apply_order(self, partition: int, order_id: int, memory: OrderMemory) -> None:
        """A change read from the changelog (ours or another member's)."""
        self._orders.update(
            order_id,
            lambda old: pack_order(
                partition, merge_order(None if old is None else unpack_order(old), memory)
            ),
        )

    def customer(self, external_id: str) -> CustomerMemory | None:
        entry = self._customers.get(external_id)
        return None if entry is None else unpack_customer(entry)

    def remember_customer(self, external_id: str, memory: CustomerMemory) -> None:
        """Keep the newest (`merge_customer`) and publish what is kept."""
        packed = pack_customer(memory)
        kept = self._customers.update(external_id, lambda old: pack_customer(_merged(old, memory)))
        if self.sink is not None and kept == packed:
            self.sink.customer_changed(external_id, memory)

    def apply_customer(self, external_id: str, memory: CustomerMemory) -> None:
        self._customers.update(external_id, lambda old: pack_customer(_merged(old, memory)))

    def forget(self, partitions: Iterable[int]) -> None:
        """A rebalance: orders of these partitions may be written elsewhere now, and — unless the
        group shares its customer memory — so may every customer."""
        gone = set(partitions)
        self._orders.drop(lambda _id, entry: entry[0] not in gone)
        if self.sink is None:
            self._customers.drop(lambda _k, _v: False)


def _merged(old: PackedCustomer | None, new: CustomerMemory) -> CustomerMemory:
    return merge_customer(None if old is None else unpack_customer(old), new)


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
