"""Who gets the next NetSuite request slot: the oldest record waiting, never whoever asks first.

Why not a `threading.Condition` around a counter: a thread that asks just as a slot frees takes it
("barging"), and a woken waiter that lost that race waits again at the back of the queue — under
load an unlucky order loses turn after turn, and an order whose customer was just written waits for
its sales-order call behind every new order's first call. At 0.8 of the account's capacity that was
most of the tail (`python -m bench.latency`: README, "Throughput within NetSuite's concurrency limit").

So slots are handed over, not grabbed:

* `acquire(priority)` takes a free slot at once (there is one only when nobody waits); otherwise it
  queues by `(priority, arrival)` and sleeps on a condition of its own.
* `release()` gives the freed slot straight to the head of the queue; `resize()` (the AIMD window)
  hands out every slot a larger size frees, and a smaller size takes effect as slots come back.
* The priority is the record's dispatch instant (lower first, `consumer.pipeline.trace`): a record
  that made its first call was dispatched before any record still waiting for its first, so orders
  already started are finished first, and the oldest waiting order never waits behind a newer one.

A waiter whose timeout passes leaves the queue (lazily: its entry is skipped when it comes up).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from dataclasses import dataclass, field


@dataclass(order=True)
class _Waiter:
    priority: float
    seq: int
    wake: threading.Condition = field(compare=False)
    granted: bool = field(default=False, compare=False)
    gone: bool = field(default=False, compare=False)


class SlotQueue:
    """A semaphore of variable size that serves waiters in priority order; thread-safe."""

    def __init__(self, size: int) -> None:
        self._lock = threading.Lock()
        self._size = size
        self._used = 0
        self._waiting: list[_Waiter] = []
        self._seq = itertools.count()

    @property
    def used(self) -> int:
        with self._lock:
            return self._used

    @property
    def waiting(self) -> int:
        with self._lock:
            return sum(not w.gone for w in self._waiting)

    def acquire(self, priority: float, timeout: float | None = None) -> bool:
        """Take a slot (True), or give up after `timeout` seconds (False)."""
        with self._lock:
            if self._used < self._size:  # then nobody waits: every release hands over first
                self._used += 1
                return True
            waiter = _Waiter(priority, next(self._seq), threading.Condition(self._lock))
            heapq.heappush(self._waiting, waiter)
            if waiter.wake.wait_for(lambda: waiter.granted, timeout):
                return True
            waiter.gone = True
            return False

    def release(self) -> None:
        with self._lock:
            self._used -= 1
            self._hand_over()

    def resize(self, size: int) -> None:
        with self._lock:
            self._size = size
            self._hand_over()

    def _hand_over(self) -> None:
        """Caller holds the lock: give free slots to the first waiters still there."""
        while self._used < self._size and self._waiting:
            waiter = heapq.heappop(self._waiting)
            if waiter.gone:
                continue
            waiter.granted = True
            self._used += 1
            waiter.wake.notify()
