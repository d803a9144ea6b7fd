"""bench.wakeups: the overshoot of each 1 ms sleep, and its nearest-rank percentiles."""

from __future__ import annotations

from bench.consumer_figures import Run, table
from bench.wakeups import Delays, WakeupProbe, delays


def test_percentiles_are_ranks_in_ms() -> None:
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


def test_a_started_probe_runs_in_its_thread_until_stopped() -> None:
    """start() and stop() on a real thread; the scripted sleep ends the loop after two wake-ups."""
    ticks = iter([0.0, 0.0015, 1.0, 1.0025])
    probe: WakeupProbe

    def sleep(seconds: float) -> None:
        if next(calls) == 2:
            probe._stop.set()

    calls = iter(range(1, 10))
    probe = WakeupProbe(clock=lambda: next(ticks), sleep=sleep)
    found = probe.start().stop()
    assert found is not None
    assert not probe._thread.is_alive()
    assert found.count in (1, 2)  # stop() may come before the second sleep: the loop ends either way
    assert round(found.p50, 3) == 0.5


def test_the_report_shows_the_probe_only_for_the_run_that_had_it() -> None:
    ours = Run("ours", 1, 1, 2.0, 1.0, 1, 0, 1, 1.0, 0.15, 15, 2.0, 1.0)
    ours.wakeups, ours.idle_wakeups = (
        Delays(0.4, 5.02, 16.48, 1.79, 6335),
        Delays(0.11, 0.32, 1.62, 0.18, 184),
    )
    naive = Run("naive", 1, 1, 2.0, 1.0, 1, 0, 1, 1.0, 0.15, 15, 2.0, 1.0)
    rows = {line.split("|")[1].strip(): line.split("|")[2:4] for line in table([ours, naive]).splitlines()}
    delay = rows["a thread's wake-up delay p50/p90/p99, ms"]
    assert [c.strip() for c in delay] == ["0.40 / 5.02 / 16.48 (mean 1.79, 6335 wake-ups)", "-"]
    assert rows["the same, idle before the run"][0].strip().startswith("0.11 / 0.32 / 1.62")
    assert "a thread's wake-up delay p50/p90/p99, ms" not in table([naive])
