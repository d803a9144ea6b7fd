"""The account's concurrency governor and the simulator's counters.

NetSuite rejects (never queues) a request that arrives while the account already has `limit`
requests in flight. Admission is one atomic check-and-increment; the slot is released before the
answer is written, so a client that saw an answer can rely on the slot being free again.

`busy_seconds` adds up how long admitted requests held their slots: the account's own time per call
(`busy_seconds / admitted`), which is what its capacity `limit / time per call` is made of — the
configured latency plus the simulator's work, as a real account's time per call is its latency.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Governor:
    def __init__(self, limit: int) -> None:
        self._lock = threading.Lock()
        self.limit = limit
        self.in_flight = 0
        self.max_in_flight = 0
        self.busy_seconds = 0.0

    def try_admit(self) -> bool:
        with self._lock:
            if self.in_flight >= self.limit:
                return False
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return True

    def release(self, held_s: float) -> None:
        with self._lock:
            self.in_flight -= 1
            self.busy_seconds += held_s

    def reset_peak(self) -> None:
        """The peak starts again from what is in flight now, and the busy time from zero."""
        with self._lock:
            self.max_in_flight = self.in_flight
            self.busy_seconds = 0.0

    def snapshot(self) -> tuple[int, int, int, float]:
        with self._lock:
            return self.limit, self.in_flight, self.max_in_flight, self.busy_seconds


class Counters:
    """Request and outcome counts (API requests only; `/__sim/` calls are not counted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()

    def add(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n

    def status(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
            self._by_status.clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            names = (
                "requests",
                "connections",
                "throttled",
                "auth_failures",
                "injected_errors",
                "injected_timeouts",
                "outage_rejections",
                "failed_after_commit",
            )
            out: dict[str, Any] = {name: self._counts[name] for name in names}
            out["by_status"] = dict(sorted(self._by_status.items()))
            return out
