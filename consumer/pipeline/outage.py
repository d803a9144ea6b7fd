"""The outage breaker: while NetSuite is down, records wait — they never run out of retries.

The retry chain (5 s, 30 s, 300 s by default, plus in-process backoff) lasts minutes; NetSuite's
maintenance windows and outages last longer. Without a breaker every order of an outage would walk
the chain and land in the dead-letter topic. So the NetSuite client reports every answer to this
breaker:

* an *answer* (2xx, or a 4xx NetSuite had the capacity to give) is evidence NetSuite works;
* a *failure* (`Transient`: 5xx, timeout, broken connection; `Throttled`: 429) is evidence against.

It trips when at least `min_failures` failures came in a row and nothing was answered for
`after_s`: the member halts (`netsuite_outage`: every partition paused, retry topics included, not
ready), and a prober asks NetSuite one cheap question with growing backoff until it answers; then
consumption resumes and the waiting records are tried again from where they were — no attempt spent.

A record exhausts its retries (→ dead letter) only when NetSuite is otherwise healthy: `healthy()`
wants an answer within `after_s` with no failure since, or asks NetSuite itself (one probe) — if that
fails too, the breaker trips and the record waits instead. The clock is injected so tests never sleep.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from consumer.pipeline.halt import HaltReason, Halts, Prober

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutagePolicy:
    after_s: float = 60.0
    min_failures: int = 5


class OutageBreaker:
    """Thread-safe; `on_answer`/`on_failure` are called by the client for every request."""

    def __init__(
        self,
        policy: OutagePolicy,
        probe: Callable[[], object],
        halts: Halts,
        stop: threading.Event,
        *,
        first_interval_s: float = 1.0,
        max_interval_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._policy, self._probe, self._halts, self._clock = policy, probe, halts, clock
        self._lock = threading.Lock()
        self._last_answer = clock()  # start-up counts as healthy: the first failures start the clock
        self._failures = 0
        self.prober = Prober(
            HaltReason.NETSUITE_OUTAGE,
            probe,
            self._recovered,
            stop,
            first_interval_s=first_interval_s,
            max_interval_s=max_interval_s,
        )
        halts.watch(HaltReason.NETSUITE_OUTAGE, self.prober)

    @property
    def open(self) -> bool:
        return self._halts.engaged(HaltReason.NETSUITE_OUTAGE)

    def on_answer(self) -> None:
        with self._lock:
            self._last_answer = self._clock()
            self._failures = 0

    def on_failure(self) -> None:
        with self._lock:
            self._failures += 1
            silent_s = self._clock() - self._last_answer
            tripped = self._failures >= self._policy.min_failures and silent_s >= self._policy.after_s
            failures = self._failures
        if tripped:
            self._trip(f"{failures} NetSuite calls failed in a row and none answered for {silent_s:.0f}s")

    def healthy(self) -> bool:
        """May a record that exhausted its retries be dead-lettered? Only if NetSuite answers."""
        if self.open:
            return False
        with self._lock:  # an answer counts only if nothing failed since: NetSuite may have died after it
            recent = self._failures == 0 and self._clock() - self._last_answer < self._policy.after_s
        if recent:
            return True
        try:
            self._probe()  # answers go through the client: on_answer/on_failure record them
        except Exception as exc:
            self._trip(f"a record ran out of retries and NetSuite does not answer ({type(exc).__name__})")
            return False
        return True

    def _trip(self, why: str) -> None:
        if self._halts.engage(HaltReason.NETSUITE_OUTAGE, why):
            self.prober.start()

    def _recovered(self) -> None:
        self.on_answer()
        self._halts.release(HaltReason.NETSUITE_OUTAGE)
