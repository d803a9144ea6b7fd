"""How late a thread of the benchmark's process wakes up: the wait for the GIL (and for a core).

`bench.consumer --wakeups` runs this probe beside our member from the group join on: every ~5 ms a
thread sleeps 1 ms and notes how much longer the sleep took. A sleeping thread gives the GIL up, so the
overshoot is the operating system's timer slack (measured for two seconds before the member starts) plus
the wait to get the GIL back and a core to run on (two vCPUs, which the hypervisor also takes) — the
kind of wait every request of the consumer, and of the simulator when it runs in this process, pays
after each blocking call (a send, a read, a lock). It makes the README's account of the lost ceiling
checkable; how many such waits a call pays is inferred, not measured here.

Off by default: its own ~400 wake-ups a second (the sleep, then the pause) are little next to the
run's, but not nothing (one run with it 0.842, the next without 0.856, both at 10-11 % steal).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.percentiles import pct

SLEEP_S = 0.001
EVERY_S = 0.005


@dataclass(frozen=True)
class Delays:
    """Wake-up delays past the requested sleep, in ms."""

    p50: float
    p90: float
    p99: float
    mean: float
    count: int

    def __str__(self) -> str:
        return (
            f"{self.p50:.2f} / {self.p90:.2f} / {self.p99:.2f} (mean {self.mean:.2f}, {self.count} wake-ups)"
        )


def delays(overshoots_s: Sequence[float]) -> Delays | None:
    """Percentiles of the overshoots (seconds in, ms out; `bench.percentiles`); None without any."""
    if not overshoots_s:
        return None
    ms = [max(0.0, s) * 1000 for s in overshoots_s]
    return Delays(pct(ms, 0.50), pct(ms, 0.90), pct(ms, 0.99), sum(ms) / len(ms), len(ms))


class WakeupProbe:
    """A daemon thread noting each 1 ms sleep's overshoot until `stop()`."""

    def __init__(
        self,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock, self._sleep = clock, sleep
        self._stop = threading.Event()
        self._overshoots: list[float] = []
        self._thread = threading.Thread(target=self._run, name="bench-wakeups", daemon=True)

    def start(self) -> WakeupProbe:
        self._thread.start()
        return self

    def stop(self) -> Delays | None:
        self._stop.set()
        if self._thread.ident is not None:  # started
            self._thread.join(5)
        return delays(self._overshoots)

    def _run(self) -> None:
        while True:
            started = self._clock()
            self._sleep(SLEEP_S)
            self._overshoots.append(self._clock() - started - SLEEP_S)
            if self._stop.wait(EVERY_S - SLEEP_S):
                return


def idle_delays(seconds: float = 2.0) -> Delays | None:
    """The same probe for `seconds` with nothing else running: the machine's own timer slack."""
    probe = WakeupProbe().start()
    time.sleep(seconds)
    return probe.stop()
