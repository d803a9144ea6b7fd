"""bench.wakeups: the overshoot of each 1 ms sleep, and its nearest-rank percentiles."""

from __future__ import annotations

from bench.wakeups import Delays, WakeupProbe, delays


def test_percentiles_are_nearest_rank_in_ms() -> None:
    overshoots = [i / 1000 / 10 for i in range(1, 101)]  # 0.1 ... 10.0 ms
    assert delays(overshoots) == Delays(p50=5.0, p90=9.0, p99=9.9, mean=5.05, count=100)


def test_one_wake_up_is_every_percentile_and_a_negative_overshoot_counts_as_none() -> None:
    assert delays([0.004]) == Delays(4.0, 4.0, 4.0, 4.0, 1)
    assert delays([-0.0001]) == Delays(0.0, 0.0, 0.0, 0.0, 1)
    assert delays([]) is None


def test_the_probe_notes_how_much_longer_each_sleep_took_than_asked() -> None:
    """A scripted clock: the sleeps took 1.2, 4.0 and 1.0 ms; then the probe is stopped."""
    ticks = iter([0.0, 0.0012, 1.0, 1.004, 2.0, 2.001])
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 3:
            stopping.set()  # the probe's stop: its pause returns at once, the loop ends

    probe = WakeupProbe(clock=lambda: next(ticks), sleep=sleep)
    stopping = probe._stop
    probe._run()  # in this thread, to its end
    found = probe.stop()
    assert found is not None
    assert (found.count, round(found.p50, 3), round(found.p99, 3)) == (3, 0.2, 3.0)
    assert slept == [0.001, 0.001, 0.001]
