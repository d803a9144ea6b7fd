"""Retry one NetSuite call in-process a few times before giving the record to a retry topic.

A lone 503 or 429 should cost a few hundred milliseconds, not a trip through `.retry.1` (5 s).
Only idempotent calls pass through here (upsert by externalId, GET, SuiteQL, and the PATCH that
closes a cancelled order's lines and sets its version: it sets the same values again), so repeating
one is safe even when the first attempt was written and only its answer was lost. Full-jitter backoff
spreads the retries of many workers; the sleep is injected so tests never sleep (the member passes
its stop event's `wait`, so a stop wakes a backoff at once). Every request goes out under the
record's lease (`consumer.pipeline.lease`): once the record is no longer this member's (revoked, or
the member is stopping) no further request starts and `GaveUp` tells the handler to give it back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from consumer import metrics
from consumer.errors import RetryableError
from consumer.netsuite.client import ON_WIRE
from consumer.pipeline.lease import FreeLease, Lease

T = TypeVar("T")


@dataclass(frozen=True)
class CallRetry:
    attempts: int = 4
    base_delay_s: float = 0.2
    max_delay_s: float = 5.0
    sleep: Callable[[float], object] = field(default=time.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, failures: int) -> float:
        """Full jitter: uniform in [0, min(max, base * 2^(failures-1))]."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (failures - 1)))
        return float(ceiling * self.jitter())

    def run(self, call: Callable[[], T], lease: Lease | None = None) -> T:
        """`call`, retried while the lease holds (`GaveUp` once it ended); the client holds each of
        its requests under `lease.call()` once it has a governor slot (`ON_WIRE`), so a record still
        queued for a slot or for another record's look-up is not on the wire. Not nested: an inner
        `run` would hold the requests under its own lease."""
        lease = lease or FreeLease()
        token = ON_WIRE.set(lease.call)
        try:
            for failures in range(1, self.attempts + 1):
                try:
                    lease.ensure_active()
                    return call()
                except RetryableError as exc:
                    if failures >= self.attempts:
                        raise
                    metrics.CALL_RETRIES.labels(type(exc).__name__).inc()
                    self.sleep(self.delay(failures))
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            ON_WIRE.reset(token)
