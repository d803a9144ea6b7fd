"""The concurrency governor: never more NetSuite requests in flight than this process's share.

Why: NetSuite rejects (never queues) requests over the account's concurrency limit, and that limit
is shared by every integration on the account. A 429 costs a round trip and a retry-topic hop, so
the cheapest 429 is the one never provoked. Three layers keep us under the limit:

* **share** — the consumer group as a whole may hold `limit` (`NETSUITE_CONCURRENCY`) requests.
  Each member takes `floor(limit * owned / total)` of them, recomputed on every rebalance
  (`set_share`), and the member that owns the main topic's partition 0 also takes the slot the
  floors leave over (2 members of a limit of 15 get 8 and 7, not 7 and 7): when its own fraction is
  not whole, the fractions of all members add up to a whole number ≥ 1, so one more slot never
  takes the group past `limit`. A member that owns no partition keeps 1 so its auth probe can still
  run; with more members than `limit` those may add up to a little more than `limit` — the AIMD
  window below absorbs that.
* **window** — AIMD on what NetSuite tells us: `on_throttled()` halves it (min 1) at most once per
  `decrease_cooldown_s` (a burst of 429s caused by one overshoot counts once); `on_success()` adds 1
  after `window` consecutive successes, never above the share. When the share grows the window
  does not jump: it climbs additively, because other members may not have shrunk yet.
* **slot()** — a blocking semaphore whose size is the current window (`consumer.netsuite.slots`):
  slots go to the oldest record waiting, handed over on release; a shrinking window takes effect as
  in-flight requests finish.

A record's worker thread carries a `Ticket` (`with ticket(Ticket(...)):`): what its calls waited
for a slot and held it, so the member can say where a slow order's time went.

The clock is injected so tests drive cooldowns without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from prometheus_client import Gauge

from consumer.errors import Transient
from consumer.netsuite.slots import SlotQueue

WINDOW = Gauge("woo_netsuite_governor_window", "NetSuite requests this process may have in flight")
IN_FLIGHT = Gauge("woo_netsuite_governor_in_flight", "NetSuite requests this process has in flight")


@dataclass(slots=True)
class Ticket:
    """One record's NetSuite calls as the governor saw them: seconds spent waiting for a slot and
    holding one (the request itself), and how many calls."""

    priority: float
    waited_s: float = 0.0
    held_s: float = 0.0
    calls: int = 0


_TICKET: ContextVar[Ticket | None] = ContextVar("governor_ticket", default=None)


@contextmanager
def ticket(current: Ticket) -> Iterator[Ticket]:
    """The calls made by this thread inside the block are the record's of `current`."""
    token = _TICKET.set(current)
    try:
        yield current
    finally:
        _TICKET.reset(token)


class Governor:
    """Bounds in-flight NetSuite requests of one process; thread-safe."""

    def __init__(
        self,
        limit: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        decrease_cooldown_s: float = 1.0,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if decrease_cooldown_s < 0:
            raise ValueError("decrease_cooldown_s must not be negative")
        self._limit = limit
        self._clock = clock
        self._cooldown = decrease_cooldown_s
        self._cond = threading.Condition()
        self._share = limit
        self._window = limit
        self._slots = SlotQueue(limit)
        self._successes = 0
        self._last_decrease: float | None = None
        WINDOW.set(self._window)

    @property
    def limit(self) -> int:
        """The whole group's budget (`NETSUITE_CONCURRENCY`)."""
        return self._limit

    @property
    def share(self) -> int:
        """This member's part of the budget, from its partition assignment."""
        with self._cond:
            return self._share

    @property
    def window(self) -> int:
        """Requests allowed in flight now (1 ≤ window ≤ share)."""
        with self._cond:
            return self._window

    @property
    def in_flight(self) -> int:
        return self._slots.used

    @property
    def waiting(self) -> int:
        """Requests queued for a slot."""
        return self._slots.waiting

    @contextmanager
    def slot(self, timeout: float | None = None) -> Iterator[None]:
        """Hold one in-flight slot for the body; block while the window is full.

        With a `timeout` (seconds), raise `Transient` when no slot frees up in time.
        """
        current = _TICKET.get()
        asked = time.perf_counter()
        priority = current.priority if current is not None else asked
        if not self._slots.acquire(priority, timeout):
            raise Transient(f"no NetSuite request slot within {timeout}s (window {self.window})")
        IN_FLIGHT.inc()
        got = time.perf_counter()
        try:
            yield
        finally:
            self._slots.release()
            IN_FLIGHT.dec()
            if current is not None:
                current.waited_s += got - asked
                current.held_s += time.perf_counter() - got
                current.calls += 1

    def set_share(self, owned_partitions: int, total_partitions: int, *, leftover: bool = False) -> None:
        """Recompute this member's share after a rebalance; the window is clamped to it. `leftover`:
        this member owns the partition that takes the slot the floors leave (see the docstring)."""
        if total_partitions < 1 or not 0 <= owned_partitions <= total_partitions:
            raise ValueError(f"bad assignment: {owned_partitions} of {total_partitions} partitions")
        whole, part = divmod(self._limit * owned_partitions, total_partitions)
        share = max(1, whole + (1 if leftover and part else 0))
        with self._cond:
            self._share = share
            self._set_window(min(self._window, share))

    def on_throttled(self) -> None:
        """NetSuite said 429: halve the window, once per cooldown."""
        with self._cond:
            now = self._clock()
            if self._last_decrease is not None and now - self._last_decrease < self._cooldown:
                return
            self._last_decrease = now
            self._successes = 0
            self._set_window(max(1, self._window // 2))

    def on_success(self) -> None:
        """A request went through: after `window` successes in a row, widen by one (up to share)."""
        with self._cond:
            if self._window >= self._share:
                self._successes = 0
                return
            self._successes += 1
            if self._successes >= self._window:
                self._successes = 0
                self._set_window(self._window + 1)

    def _set_window(self, window: int) -> None:
        """Caller holds the condition."""
        self._window = window
        self._slots.resize(window)
        WINDOW.set(window)
