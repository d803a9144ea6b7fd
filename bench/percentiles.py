"""The benchmarks' one percentile: the value at rank q·n rounded (1-based), `q` in 0..1; NaN for none.

bench.latency and bench.wakeups report p50/p90/p99 this way, so their tails read alike.
"""

from __future__ import annotations

from collections.abc import Sequence


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]
