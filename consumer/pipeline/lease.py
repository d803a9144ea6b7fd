"""Whose record is it: a record is processed under a *lease* on its partition, and nothing else.

Kafka can move a partition to another member at any time (rebalance) and the member can be asked to
stop. A record whose partition moved must not write to NetSuite any more — its new owner processes
it again — or an older version could land after the new owner's newer one (a zombie write). So every
record is dispatched with a `Lease`: the partition and the *epoch* of the assignment it came from.

* `lease.active` — the one predicate: the member is not stopping and the partition is still assigned
  in that same assignment. Every step asks it before acting (call NetSuite, forward, wait on).
* `with lease.call():` — wraps each NetSuite request from the moment it holds a governor slot until
  its answer is read (the client's `ON_WIRE` hook, set by `CallRetry`), and each step that must not
  run after a revoke (memory updates, forwards): it refuses (`GaveUp`) when the lease is no longer
  active, else counts the step as *on the wire* for that partition until it ends. The check and the
  count happen under one lock, and `Leases.revoke` flips ownership under the same lock, so after a
  revoke no new request of that partition can start.
* `Leases.revoke(tps)` marks partitions as not ours *first*, then `wait_for_calls` waits only for
  requests already on the wire — the true bound of the zombie window (one request per record in
  flight, at most the NetSuite read timeout) instead of every queued record starting its calls
  during a drain, or every record queued for a governor slot (or for another record's look-up)
  getting there first only to send nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager

TopicPartitionKey = tuple[str, int]


class GaveUp(Exception):
    """Not an error: the record's lease ended (revoked, or the member is stopping), so no NetSuite
    call is made for it any more. The handler gives the record back; its offset stays uncommitted."""


class Leases:
    """The member's assignment as leases; thread-safe (poll thread grants/revokes, workers call)."""

    def __init__(self, stop: threading.Event) -> None:
        self._stop = stop
        self._cond = threading.Condition()
        self._epochs: dict[TopicPartitionKey, int] = {}
        self._assigned: set[TopicPartitionKey] = set()
        self._on_wire: dict[TopicPartitionKey, int] = {}

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def grant(self, tps: Iterable[TopicPartitionKey]) -> None:
        """A new assignment: a new epoch, so a record of an earlier assignment stays revoked."""
        with self._cond:
            for tp in tps:
                self._epochs[tp] = self._epochs.get(tp, 0) + 1
                self._assigned.add(tp)

    def revoke(self, tps: Iterable[TopicPartitionKey]) -> None:
        """Not ours from now on: no new NetSuite request of these partitions can start."""
        with self._cond:
            for tp in tps:
                self._epochs[tp] = self._epochs.get(tp, 0) + 1
                self._assigned.discard(tp)

    def assigned(self) -> set[TopicPartitionKey]:
        with self._cond:
            return set(self._assigned)

    def lease(self, tp: TopicPartitionKey) -> Lease:
        """The lease a record of `tp` consumed now is processed under."""
        with self._cond:
            return Lease(self, tp, self._epochs.get(tp, 0))

    def active(self, tp: TopicPartitionKey, epoch: int) -> bool:
        with self._cond:
            return self._active(tp, epoch)

    def calls_on_wire(self, tps: Iterable[TopicPartitionKey] | None = None) -> int:
        with self._cond:
            if tps is None:
                return sum(self._on_wire.values())
            return sum(self._on_wire.get(tp, 0) for tp in tps)

    def wait_for_calls(self, tps: Iterable[TopicPartitionKey], timeout_s: float) -> bool:
        """Block until no request of `tps` is on the wire (True) or the timeout passed (False)."""
        wanted = set(tps)
        deadline = time.monotonic() + timeout_s
        with self._cond:
            return self._cond.wait_for(
                lambda: not any(self._on_wire.get(tp, 0) for tp in wanted),
                timeout=max(0.0, deadline - time.monotonic()),
            )

    @contextmanager
    def _call(self, tp: TopicPartitionKey, epoch: int) -> Iterator[None]:
        with self._cond:
            if not self._active(tp, epoch):
                raise GaveUp
            self._on_wire[tp] = self._on_wire.get(tp, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._on_wire[tp] -= 1
                if not self._on_wire[tp]:
                    del self._on_wire[tp]
                    self._cond.notify_all()

    def _active(self, tp: TopicPartitionKey, epoch: int) -> bool:
        return not self._stop.is_set() and tp in self._assigned and self._epochs.get(tp) == epoch


class Lease:
    """One record's claim on its partition (see the module docstring)."""

    __slots__ = ("_leases", "epoch", "tp")

    def __init__(self, leases: Leases, tp: TopicPartitionKey, epoch: int) -> None:
        self._leases, self.tp, self.epoch = leases, tp, epoch

    @property
    def active(self) -> bool:
        return self._leases.active(self.tp, self.epoch)

    def call(self) -> AbstractContextManager[None]:
        """Hold for one NetSuite request or one step that must not outlive the lease: `GaveUp` when
        the lease ended, else counted on the wire until it ends."""
        return self._leases._call(self.tp, self.epoch)

    def ensure_active(self) -> None:
        """`GaveUp` unless the lease still holds (asked before each attempt of a call)."""
        if not self.active:
            raise GaveUp

    def wait(self, seconds: float) -> bool:
        """Sleep up to `seconds`, waking at least every 0.2 s; False as soon as the lease ended (a
        revoke or a stop), True when the time is up and the lease still holds."""
        deadline = time.monotonic() + seconds
        while self.active:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            self._leases._stop.wait(min(0.2, left))
        return False


class FreeLease(Lease):
    """A lease that never ends: for tools and tests that process records outside a group."""

    def __init__(self) -> None:
        super().__init__(Leases(threading.Event()), ("", 0), 0)

    @property
    def active(self) -> bool:
        return True

    def call(self) -> AbstractContextManager[None]:
        return _nothing()

    def wait(self, seconds: float) -> bool:
        time.sleep(seconds)
        return True


@contextmanager
def _nothing() -> Iterator[None]:
    yield
