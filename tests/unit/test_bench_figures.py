"""bench.consumer's figures: the steady-state window (calls/s between the samples at 10 % and 90 % of the
calls) and where the ceiling goes."""

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


def test_the_ceiling_losses_multiply_to_the_ratio() -> None:
    """Slots handed out, the request's share of a slot's hold time (the hold time from the slots held,
    by Little's law), NetSuite's share of the request's time, latency over NetSuite's time per call."""
    limit, latency_s, service_s, client_s, held, calls, busy_s = 15, 0.150, 0.157, 0.163, 14.76, 1.5, 50.0
    hold_s = client_s / 0.98  # 2 % of each slot is ours: the hand-over and the pre-send check
    requests = round(held * busy_s / hold_s)  # the calls that many slots, each held hold_s, make in busy_s
    orders = round(requests / calls)
    run = Run(
        name="ours",
        orders=orders,
        total_orders=orders,
        wall_s=busy_s + 3.0,
        join_s=3.0,
        requests=requests,
        throttled=0,
        max_in_flight=limit,
        mean_in_flight=14.0,
        latency_s=latency_s,
        limit=limit,
        calls_new=2.0,
        calls_returning=1.0,
        client_latency_s=client_s,
        service_s=service_s,
        held=held,
    )
    assert abs(run.hold_s - hold_s) < 0.0005
    used, sending, on_netsuite, over = run.losses() or (0.0, 0.0, 0.0, 0.0)
    assert (used, on_netsuite, over) == (held / limit, service_s / client_s, latency_s / service_s)
    assert abs(sending - 0.98) < 0.005
    assert abs(used * sending * on_netsuite * over - run.ratio) < 1e-9
    line = losses_line(run)[0]
    assert "slots handed out 0.984 of the limit" in line
    assert f"= {run.ratio:.3f} (ratio {run.ratio:.3f})" in line


def test_no_losses_without_the_governor_or_the_simulator_figures() -> None:
    run = Run("naive", 1, 1, 2.0, 1.0, 1, 0, 1, 1.0, 0.15, 15, 2.0, 1.0)
    assert run.losses() is None
    assert losses_line(run) == []
