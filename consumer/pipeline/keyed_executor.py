"""Run records in parallel across keys and strictly in sequence within a key.

Different orders of one partition are written at once (throughput beyond the partition count);
two records of the same order never run at the same time and run in the order submitted, so
v2 of an order is never written while v1 is still in flight.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

Task = Callable[[], None]


class KeyedExecutor:
    def __init__(self, workers: int, *, name: str = "order-worker") -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._lock = threading.Lock()
        self._queues: dict[bytes, deque[Task]] = {}
        self._idle = threading.Condition(self._lock)
        self._running = 0

    def submit(self, key: bytes, task: Task) -> None:
        with self._lock:
            queue = self._queues.get(key)
            if queue is not None:  # the key is busy: run after its predecessors
                queue.append(task)
                return
            self._queues[key] = deque()
            self._running += 1
        self._pool.submit(self._run, key, task)

    def _run(self, key: bytes, task: Task) -> None:
        current: Task | None = task
        while current is not None:
            try:
                current()
            finally:
                with self._lock:
                    queue = self._queues[key]
                    if queue:
                        current = queue.popleft()
                    else:
                        del self._queues[key]
                        current = None
                        self._running -= 1
                        self._idle.notify_all()

    def busy_keys(self) -> int:
        with self._lock:
            return len(self._queues)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no task runs or waits (True), or the timeout passes (False)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._running == 0, timeout=timeout_s)

    def shutdown(self, wait: bool = True) -> None:
        """Without `wait`, tasks already submitted still run, none is cancelled: the member stops
        only after its stop made every lease inactive, so each returns at once — with its own
        accounting (in-flight gauge, buffered bytes) done, which a cancelled task never did."""
        self._pool.shutdown(wait=wait)
