"""How long the audit keeps asking NetSuite one query (it only reads, so asking again is safe).

| the query's failure                           | asked again                                      |
|-----------------------------------------------|--------------------------------------------------|
| `Throttled` (429, the account's concurrency)  | until `throttled_for_s` (300 s) of pauses: 1, 2, |
|                                               | 4 … up to 30 s each, jittered to 50-100 %        |
| another `RetryableError` (5xx, timeout, …)    | `attempts` in all (3): pauses of 1 s, 2 s        |
| anything else                                 | never                                            |

The consumer keeps ~0.98 of the account's request slots busy, so an audit run beside it is throttled
as a matter of course; three quick tries (~3 s) made it exit 3 and throw away every page it had read
from WooCommerce (audit of reconcile and audit, 2026-12-03). The jitter keeps a throttled audit from
knocking in step with the consumer's own retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumer.errors import RetryableError, Throttled


@dataclass(frozen=True)
class QueryRetry:
    throttled_for_s: float = 300.0
    first_pause_s: float = 1.0
    max_pause_s: float = 30.0
    attempts: int = 3

    def pause(self, error: RetryableError, attempt: int, waited_s: float, draw: float) -> float | None:
        """Seconds to wait before asking again after the `attempt`-th failure (0-based), having waited
        `waited_s` already; None: give up. `draw` is uniform in [0, 1) (the jitter)."""
        if isinstance(error, Throttled):
            pause = min(self.max_pause_s, self.first_pause_s * 2**attempt) * (0.5 + draw / 2)
            return pause if waited_s + pause <= self.throttled_for_s else None
        return self.first_pause_s * 2**attempt if attempt + 1 < self.attempts else None
