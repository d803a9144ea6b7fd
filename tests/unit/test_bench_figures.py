"""bench.consumer's figures: the steady-state window (writes/s between the samples at 10 % and 90 % of the
writes) and where the ceiling goes."""

from __future__ import annotations

from bench.consumer_figures import Run, losses_line, steady_window


def test_the_window_leaves_out_the_start_and_the_end() -> None:
    # a slow start (0 → 10 in 2 s), 100 writes/s in the middle, a slow end (90 → 100 in 5 s)
    samples = [(0.0, 0), (2.0, 10), (2.4, 50), (2.8, 90), (7.8, 100)]
    assert steady_window(samples, 100) == (90 - 10) / (2.8 - 2.0)


def test_no_window_without_samples_or_time_between_its_ends() -> None:
    assert steady_window([], 100) is None
    assert steady_window([(1.0, 100)], 100) is None  # 10 % and 90 % in the same sample
    assert steady_window([(1.0, 20), (2.0, 50)], 100) is None  # never reached 90 %


def test_the_ceiling_losses_multiply_to_the_ratio_by_littles_law() -> None:
    """Calls/s = NetSuite's mean in flight / its time per call, so over the same samples the three
    factors (slots handed out, share of a slot at NetSuite, latency over time per call) are the ratio."""
    limit, latency_s, service_s, held, in_flight, calls = 15, 0.150, 0.155, 14.7, 14.0, 1.5
    busy_s = 50.0
    orders = round(in_flight / (calls * service_s) * busy_s)  # what Little's law gives in busy_s
    run = Run(
        name="ours",
        orders=orders,
        total_orders=orders,
        wall_s=busy_s + 3.0,
        join_s=3.0,
        requests=round(orders * calls),
        throttled=0,
        max_in_flight=limit,
        mean_in_flight=in_flight,
        latency_s=latency_s,
        limit=limit,
        calls_new=2.0,
        calls_returning=1.0,
        service_s=service_s,
        held=held,
    )
    used, on_netsuite, over = run.losses() or (0.0, 0.0, 0.0)
    assert (used, on_netsuite, over) == (held / limit, in_flight / held, latency_s / service_s)
    assert abs(used * on_netsuite * over - run.ratio) < 0.001
    assert "0.980 of the limit" in losses_line(run)[0]
    assert "= 0.903 (ratio 0.903;" in losses_line(run)[0]


def test_no_losses_without_the_governor_or_the_simulator_figures() -> None:
    run = Run("naive", 1, 1, 2.0, 1.0, 1, 0, 1, 1.0, 0.15, 15, 2.0, 1.0)
    assert run.losses() is None
    assert losses_line(run) == []
