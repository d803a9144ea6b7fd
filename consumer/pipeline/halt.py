"""Stop the whole member and wait, instead of burning records: the member-wide halt and its probes.

Some failures say nothing about the record at hand and everything about the system: wrong
credentials, NetSuite down, a deploy that dead-letters every order, a topic that refuses records.
Routing each record on its own would dead-letter the whole stream. Instead the member *halts* for a
reason; each reason has its own way back:

| reason            | engaged when                                  | released when                    |
|-------------------|-----------------------------------------------|----------------------------------|
| `credentials`     | 401, or 403 with a failing credential probe   | a credential probe passes        |
| `netsuite_outage` | the outage breaker trips (`pipeline.outage`)  | an outage probe is answered      |
| `dead_letters`    | the dead-letter breaker trips                 | a record is written or skipped   |
| `forwarding`      | a retry/dead-letter topic refuses for good (1) | a forward succeeds              |
| `schema_registry` | the registry does not answer while decoding    | a registry probe is answered     |

(1) the record is larger than the topic allows, the topic is unknown, or we may not write to it.

While any reason is engaged the runner pauses every partition and the member reports not-ready with
the reasons (`/readyz`, `woo_consumer_halted{reason}`); a worker holding a record waits with it (its
offset stays uncommitted) and then processes it again from the top — no attempt is spent.

A `Prober` calls its probe with growing backoff on a thread of its own and survives any exception
(logged by type, counted); `/healthz` reports a prober that died anyway (`dead_probers`), so
Kubernetes restarts a member that could otherwise stay paused forever. The reasons without a prober
(`dead_letters`, `forwarding`) are tested by the records that wait on them; when the last of those
leaves (its partition was revoked), the halt is released too — else nothing would ever test it again
and the member would idle, paused, until restarted. A systemic cause halts it again at once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

from consumer import metrics
from consumer.pipeline.lease import Lease

log = logging.getLogger(__name__)


class HaltReason(StrEnum):
    CREDENTIALS = "credentials"
    NETSUITE_OUTAGE = "netsuite_outage"
    DEAD_LETTERS = "dead_letters"
    FORWARDING = "forwarding"
    SCHEMA_REGISTRY = "schema_registry"


class Halts:
    """The member's halt reasons; thread-safe. Workers wait on it, the runner reads `halted`."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._engaged: dict[HaltReason, str] = {}
        self._probers: dict[HaltReason, Prober] = {}
        self._waiters: dict[HaltReason, int] = {}
        for reason in HaltReason:
            metrics.HALTED.labels(reason.value).set(0)

    @property
    def halted(self) -> bool:
        with self._cond:
            return bool(self._engaged)

    def engaged(self, reason: HaltReason) -> bool:
        with self._cond:
            return reason in self._engaged

    def reasons(self) -> dict[str, str]:
        """Engaged reasons and why (no personal data): for `/readyz` and logs."""
        with self._cond:
            return {r.value: why for r, why in self._engaged.items()}

    def engage(self, reason: HaltReason, why: str) -> bool:
        """Halt for `reason`; True when it was not engaged before (the caller starts its probe)."""
        with self._cond:
            if reason in self._engaged:
                return False
            self._engaged[reason] = why
        metrics.HALTED.labels(reason.value).set(1)
        metrics.HALTS.labels(reason.value).inc()
        log.error("halting consumption (%s): %s", reason.value, why)
        return True

    def release(self, reason: HaltReason) -> None:
        with self._cond:
            if self._engaged.pop(reason, None) is None:
                return
            self._cond.notify_all()
        metrics.HALTED.labels(reason.value).set(0)
        log.warning("halt released (%s): resuming consumption", reason.value)

    def wait(self, reason: HaltReason, lease: Lease, timeout_s: float | None = None) -> bool:
        """Block until `reason` is released or `timeout_s` passed (True), or the lease ended (False).
        Wakes at least every 0.2 s to notice a revoke or a stop."""
        waited = 0.0
        with self._cond:
            while reason in self._engaged:
                if not lease.active:
                    return False
                if timeout_s is not None and waited >= timeout_s:
                    return True
                slice_s = 0.2 if timeout_s is None else min(0.2, timeout_s - waited)
                self._cond.wait(slice_s)
                waited += slice_s
        return lease.active

    @contextmanager
    def waiting(self, reason: HaltReason) -> Iterator[None]:
        """Count a record held by `reason` for as long as it is (across its waits and tries); when
        the last one leaves a reason no prober tests, the halt is released (module docstring)."""
        with self._cond:
            self._waiters[reason] = self._waiters.get(reason, 0) + 1
        try:
            yield
        finally:
            with self._cond:
                self._waiters[reason] -= 1
                orphaned = (
                    not self._waiters[reason] and reason in self._engaged and reason not in self._probers
                )
            if orphaned:
                log.warning("no record left to test the %s halt: released", reason.value)
                self.release(reason)

    def watch(self, reason: HaltReason, prober: Prober) -> None:
        """`prober` works on `reason`: liveness fails if it dies while the reason is engaged."""
        with self._cond:
            self._probers[reason] = prober

    def dead_probers(self) -> list[str]:
        with self._cond:
            return [r.value for r, p in self._probers.items() if r in self._engaged and not p.alive]


class Prober:
    """Runs `probe` with growing backoff until it returns normally, then calls `on_success`.

    Any exception is a failed probe: logged by type (never its text, which may echo NetSuite's
    detail), counted in `woo_consumer_probe_errors_total`, and tried again later. `start` is
    idempotent while a round runs.
    """

    def __init__(
        self,
        reason: HaltReason,
        probe: Callable[[], object],
        on_success: Callable[[], None],
        stop: threading.Event,
        *,
        first_interval_s: float = 1.0,
        max_interval_s: float = 60.0,
    ) -> None:
        self._reason, self._probe, self._on_success, self._stop = reason, probe, on_success, stop
        self.first_interval_s, self.max_interval_s = first_interval_s, max_interval_s
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._started = False

    @property
    def alive(self) -> bool:
        """False only when a round was started and its thread ended without success (a crash)."""
        with self._lock:
            return not self._started or (self._thread is not None and self._thread.is_alive())

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            self._thread = threading.Thread(target=self._run, name=f"probe-{self._reason}", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        interval = self.first_interval_s
        while not self._stop.wait(interval):
            try:
                self._probe()
            except Exception as exc:  # any failure is a failed probe; the prober must live on
                metrics.PROBE_FAILURES.labels(self._reason.value, type(exc).__name__).inc()
                log.warning("%s probe failed (%s); next in %.0fs", self._reason, type(exc).__name__, interval)
                interval = min(self.max_interval_s, interval * 2)
                continue
            log.info("%s probe succeeded", self._reason)
            with self._lock:
                self._started = False
            self._on_success()
            return


class ProbedHalt:
    """A halt released by its own prober: `trip` engages it and starts probing (growing backoff)."""

    def __init__(
        self,
        reason: HaltReason,
        probe: Callable[[], object],
        halts: Halts,
        stop: threading.Event,
        **backoff: float,
    ) -> None:
        self._reason, self._halts = reason, halts
        self.prober = Prober(reason, probe, lambda: halts.release(reason), stop, **backoff)
        halts.watch(reason, self.prober)

    def trip(self, why: str) -> None:
        if self._halts.engage(self._reason, why):
            self.prober.start()
