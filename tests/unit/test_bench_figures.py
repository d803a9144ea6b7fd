"""bench.consumer's steady-state window: writes/s between the samples at 10 % and 90 % of the writes."""

from __future__ import annotations

from bench.consumer import steady_window


def test_the_window_leaves_out_the_start_and_the_end() -> None:
    # a slow start (0 → 10 in 2 s), 100 writes/s in the middle, a slow end (90 → 100 in 5 s)
    samples = [(0.0, 0), (2.0, 10), (2.4, 50), (2.8, 90), (7.8, 100)]
    assert steady_window(samples, 100) == (90 - 10) / (2.8 - 2.0)


def test_no_window_without_samples_or_time_between_its_ends() -> None:
    assert steady_window([], 100) is None
    assert steady_window([(1.0, 100)], 100) is None  # 10 % and 90 % in the same sample
    assert steady_window([(1.0, 20), (2.0, 50)], 100) is None  # never reached 90 %
