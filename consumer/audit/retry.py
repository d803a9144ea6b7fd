"""How long the audit keeps asking NetSuite a query (it only reads, so asking again is safe).

| the query's failure                           | asked again                                      |
|-----------------------------------------------|--------------------------------------------------|
| `Throttled` (429, the account's concurrency)  | until `throttled_for_s` (300 s) of pauses for    |
|                                               | the query: 1, 2, 4 … up to 30 s, each jittered   |
|                                               | to 50-100 %                                      |
| another `RetryableError` (5xx, timeout, …)    | `attempts` in all (3): pauses of 1 s, 2 s        |
| anything else (400, 401, …)                   | never                                            |
| any, once the run paused `run_budget_s` (30   | never: the audit exits 3                         |
| min) in all                                   |                                                  |

Throttles and other failures are counted apart, so a 503 after a run of 429s still gets its tries.
The consumer keeps ~0.98 of the account's request slots busy, so an audit run beside it is throttled
as a matter of course; three quick tries (~3 s) made it exit 3 and throw away every page it had read
from WooCommerce (audit of reconcile and audit, 2026-12-03). The jitter keeps a throttled audit from
knocking in step with the consumer's retries; the run's budget keeps a long window (two queries per
200 orders, and the SKU lookups) from sleeping for hours.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from consumer.errors import RetryableError, Throttled
from consumer.netsuite.items import SuiteQLClient

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueryRetry:
    throttled_for_s: float = 300.0
    run_budget_s: float = 1800.0
    first_pause_s: float = 1.0
    max_pause_s: float = 30.0
    attempts: int = 3

    def pause(self, error: RetryableError, tries: int, waited_s: float, draw: float) -> float | None:
        """Seconds to wait after the query's `tries`-th failure of this kind (0-based), the query
        having waited `waited_s`; None: give up. `draw` is uniform in [0, 1) (the jitter)."""
        if isinstance(error, Throttled):
            pause = min(self.max_pause_s, self.first_pause_s * 2**tries) * (0.5 + draw / 2)
            return pause if waited_s + pause <= self.throttled_for_s else None
        return self.first_pause_s * 2**tries if tries + 1 < self.attempts else None


class PatientSuiteQL:
    """A SuiteQL client whose queries are asked again by `QueryRetry`; its queries share the run's budget."""

    def __init__(
        self,
        client: SuiteQLClient,
        retry: QueryRetry | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self._client, self._retry = client, retry or QueryRetry()
        self._sleep, self._draw = sleep, draw
        self.waited_s = 0.0  # by every query of the run

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        return iter(self._rows(query, page_size))

    def _rows(self, query: str, page_size: int) -> list[dict[str, Any]]:
        waited, tries = 0.0, {True: 0, False: 0}  # this query's pauses; its failures, throttled or not
        while True:
            try:
                return list(self._client.suiteql(query, page_size=page_size))
            except RetryableError as error:
                throttled = isinstance(error, Throttled)
                pause = self._retry.pause(error, tries[throttled], waited, self._draw())
                if pause is None or self.waited_s + pause > self._retry.run_budget_s:
                    raise
                log.warning(
                    "audit: NetSuite answered %s; asking again in %.1f s", type(error).__name__, pause
                )
                self._sleep(pause)
                waited += pause
                self.waited_s += pause
                tries[throttled] += 1
