"""What a 401 or 403 means: credentials that stopped working, or a role missing one permission.

| answer | credential probe           | meaning                                  | what happens         |
|--------|----------------------------|------------------------------------------|----------------------|
| 401    | (not asked)                | token wrong, revoked, sandbox refreshed  | member halts (1)     |
| 403    | fails                      | the same, answered as 403                | member halts (1)     |
| 403    | passes (or did < 30 s ago) | the token works; this write is not allowed (2) | record parked (3) |

(1) `credentials`: every partition paused, a prober thread until a probe passes. (2) a missing
permission, subsidiary, location or field. (3) in the last retry topic, no attempt spent; it comes
back after that topic's delay while the other orders flow.

The probe is one cheap authenticated read (`NetSuiteClient.probe`). A 403 used to halt the whole
member and then pin a worker per refused record, so a role missing one permission for 5 % of orders
stopped the member after a handful of them; now only credentials that fail the probe stop it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from consumer.errors import AuthFailure, SyncError
from consumer.pipeline.halt import HaltReason, Halts, Prober

log = logging.getLogger(__name__)


class Credentials:
    def __init__(
        self,
        probe: Callable[[], object],
        halts: Halts,
        stop: threading.Event,
        *,
        first_interval_s: float = 1.0,
        max_interval_s: float = 60.0,
        trust_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe, self._halts, self._clock, self._trust_s = probe, halts, clock, trust_s
        self._lock = threading.Lock()
        self._passed_at: float | None = None
        self.prober = Prober(
            HaltReason.CREDENTIALS,
            probe,
            self._probe_passed,
            stop,
            first_interval_s=first_interval_s,
            max_interval_s=max_interval_s,
        )
        halts.watch(HaltReason.CREDENTIALS, self.prober)

    def permission_only(self, error: AuthFailure) -> bool:
        """A 403: True when the token works and only this write was refused (park the record);
        False when the credential probe fails too (halt: `trip`)."""
        return error.status == 403 and self._token_works()

    def trip(self, error: SyncError) -> None:
        why = f"NetSuite refuses our credentials (status={error.status} code={error.error_code})"
        if self._halts.engage(HaltReason.CREDENTIALS, why):
            with self._lock:
                self._passed_at = None
            self.prober.start()

    def _token_works(self) -> bool:
        with self._lock:
            if self._passed_at is not None and self._clock() - self._passed_at < self._trust_s:
                return True
        try:
            self._probe()
        except Exception as exc:  # AuthFailure, or NetSuite could not tell: halt and let the prober decide
            log.warning("credential probe after a 403 failed (%s)", type(exc).__name__)
            return False
        with self._lock:
            self._passed_at = self._clock()
        return True

    def _probe_passed(self) -> None:
        with self._lock:
            self._passed_at = self._clock()
        self._halts.release(HaltReason.CREDENTIALS)
