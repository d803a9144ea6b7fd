"""Stop and wait while NetSuite refuses our credentials: never dead-letter on `AuthFailure`.

A wrong or revoked token would otherwise burn every order into the dead-letter topic. Instead the
first `AuthFailure` trips the halt: the runner pauses every partition and reports not-ready, the
worker that hit it waits here with its record (its offset stays uncommitted), and a prober thread
calls NetSuite with exponential backoff until a probe succeeds; then everyone carries on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from consumer import metrics
from consumer.errors import SyncError

log = logging.getLogger(__name__)


class AuthHalt:
    def __init__(
        self,
        probe: Callable[[], None],
        *,
        first_interval_s: float = 1.0,
        max_interval_s: float = 60.0,
        stop: threading.Event | None = None,
    ) -> None:
        self._probe = probe
        self._first = first_interval_s
        self._max = max_interval_s
        self._stop = stop or threading.Event()
        self._lock = threading.Lock()
        self._resumed = threading.Event()
        self._resumed.set()
        self._prober: threading.Thread | None = None
        self.trips = 0

    @property
    def first_interval_s(self) -> float:
        return self._first

    @property
    def max_interval_s(self) -> float:
        return self._max

    @property
    def halted(self) -> bool:
        return not self._resumed.is_set()

    def trip(self, error: SyncError) -> None:
        with self._lock:
            if self.halted:
                return
            self.trips += 1
            metrics.AUTH_HALTS.inc()
            self._resumed.clear()
            metrics.HALTED.set(1)
            metrics.READY.set(0)
            log.error(
                "NetSuite refuses our credentials (status=%s code=%s): halting consumption, probing",
                error.status,
                error.error_code,
            )
            self._prober = threading.Thread(target=self._probe_until_ok, name="auth-prober", daemon=True)
            self._prober.start()

    def wait(self) -> bool:
        """Block a worker until resumed (True) or the member is stopping (False)."""
        while not self._resumed.wait(0.2):
            if self._stop.is_set():
                return False
        return True

    def _probe_until_ok(self) -> None:
        interval = self._first
        while not self._stop.wait(interval):
            try:
                self._probe()
            except SyncError as exc:
                log.warning("credential probe failed (status=%s code=%s)", exc.status, exc.error_code)
                interval = min(self._max, interval * 2)
                continue
            log.info("credential probe succeeded: resuming consumption")
            metrics.HALTED.set(0)
            metrics.READY.set(1)
            self._resumed.set()
            return
