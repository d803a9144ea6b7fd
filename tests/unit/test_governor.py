"""The governor: AIMD window, cooldown, share clamping and blocking — fake clock, no sleeps."""

from __future__ import annotations

import random
import threading
import time

import pytest
from prometheus_client import REGISTRY

from consumer.errors import Transient
from consumer.netsuite.governor import Governor

WAIT = 5.0  # only ever a deadline for something that must happen; never a sleep


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_starts_at_the_limit() -> None:
    gov = Governor(5)
    assert (gov.window, gov.share, gov.in_flight, gov.limit) == (5, 5, 0, 5)


def test_throttle_halves_once_per_cooldown() -> None:
    clock = FakeClock()
    gov = Governor(8, clock=clock, decrease_cooldown_s=1.0)
    gov.on_throttled()
    assert gov.window == 4
    clock.now += 0.5
    gov.on_throttled()  # same burst: ignored
    gov.on_throttled()
    assert gov.window == 4
    clock.now += 0.5
    gov.on_throttled()
    assert gov.window == 2
    for _ in range(5):
        clock.now += 1.0
        gov.on_throttled()
    assert gov.window == 1  # never below one
    assert REGISTRY.get_sample_value("woo_netsuite_governor_window") == 1


def test_additive_increase_after_window_successes_up_to_share() -> None:
    clock = FakeClock()
    gov = Governor(8, clock=clock)
    gov.on_throttled()
    clock.now += 10
    gov.on_throttled()
    assert gov.window == 2
    gov.on_success()
    assert gov.window == 2
    gov.on_success()
    assert gov.window == 3  # after `window` (2) successes
    for _ in range(2):
        gov.on_success()
    assert gov.window == 3
    gov.on_success()
    assert gov.window == 4
    for _ in range(100):
        gov.on_success()
    assert gov.window == 8  # capped at the share


def test_throttle_resets_the_success_streak() -> None:
    clock = FakeClock()
    gov = Governor(8, clock=clock)
    gov.on_throttled()  # 4
    for _ in range(3):
        gov.on_success()
    clock.now += 5
    gov.on_throttled()  # 2, streak reset
    gov.on_success()
    assert gov.window == 2


@pytest.mark.parametrize(
    ("limit", "owned", "total", "share"),
    [(5, 6, 6, 5), (5, 3, 6, 2), (5, 1, 6, 1), (5, 0, 6, 1), (20, 3, 6, 10), (10, 1, 3, 3)],
)
def test_share_is_floor_of_owned_fraction(limit: int, owned: int, total: int, share: int) -> None:
    gov = Governor(limit)
    gov.set_share(owned, total)
    assert gov.share == share
    assert gov.window == share


def test_share_clamps_window_and_growth_is_additive() -> None:
    gov = Governor(6)
    gov.set_share(1, 3)
    assert (gov.share, gov.window) == (2, 2)
    gov.set_share(3, 3)
    assert (gov.share, gov.window) == (6, 2)  # no jump: other members may not have shrunk yet
    for _ in range(2):
        gov.on_success()
    assert gov.window == 3


@pytest.mark.parametrize("members", [2, 3, 4])
def test_the_leftover_slot_fills_the_limit_and_never_passes_it(members: int) -> None:
    """Every split of every partition total among `members`, the first owning the leftover
    partition: the shares add up to at most the limit, and to exactly the limit for two members
    (whose fractions are both whole or add up to one), whenever no floor was raised to 1."""
    rng = random.Random(members)
    for limit in range(1, 21):
        for total in range(members, 31):
            cuts = sorted(rng.sample(range(1, total), members - 1))
            owned = [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]
            shares = []
            for n, mine in enumerate(owned):
                gov = Governor(limit)
                gov.set_share(mine, total, leftover=n == 0)
                shares.append(gov.share)
            if all(limit * mine >= total for mine in owned):  # no share was raised to the minimum 1
                assert sum(shares) <= limit, (limit, owned, shares)
                if members == 2:
                    assert sum(shares) == limit, (limit, owned, shares)
            floors = [max(1, limit * mine // total) for mine in owned]
            assert sum(floors) <= sum(shares) <= sum(floors) + 1


@pytest.mark.parametrize(("owned", "total"), [(1, 0), (-1, 3), (4, 3)])
def test_bad_assignment_is_refused(owned: int, total: int) -> None:
    with pytest.raises(ValueError, match="assignment"):
        Governor(5).set_share(owned, total)


def test_full_window_refuses_with_timeout_and_counts_in_flight() -> None:
    gov = Governor(2)
    with gov.slot(), gov.slot():
        assert gov.in_flight == 2
        with pytest.raises(Transient), gov.slot(timeout=0):
            pass
    assert gov.in_flight == 0
    with gov.slot(timeout=0):
        assert gov.in_flight == 1


def test_slot_is_released_when_the_body_raises() -> None:
    gov = Governor(1)
    with pytest.raises(RuntimeError), gov.slot():
        raise RuntimeError("boom")
    assert gov.in_flight == 0


def _hold(gov: Governor, entered: threading.Event, release: threading.Event) -> threading.Thread:
    def run() -> None:
        with gov.slot():
            entered.set()
            release.wait(WAIT)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_waiter_blocks_until_a_slot_is_released() -> None:
    gov = Governor(2)
    releases = [threading.Event() for _ in range(3)]
    entered = [threading.Event() for _ in range(3)]
    holders = [_hold(gov, entered[i], releases[i]) for i in range(2)]
    assert all(e.wait(WAIT) for e in entered[:2])
    waiter = _hold(gov, entered[2], releases[2])
    # The window is full: the waiter cannot have entered, whatever the scheduling.
    assert gov.in_flight == 2
    assert not entered[2].is_set()
    releases[0].set()
    assert entered[2].wait(WAIT)
    assert gov.in_flight == 2
    for r in releases:
        r.set()
    for t in [*holders, waiter]:
        t.join(WAIT)
    assert gov.in_flight == 0


def test_shrunk_window_applies_as_requests_finish() -> None:
    clock = FakeClock()
    gov = Governor(4, clock=clock)
    releases = [threading.Event() for _ in range(4)]
    entered = [threading.Event() for _ in range(4)]
    holders = [_hold(gov, entered[i], releases[i]) for i in range(4)]
    assert all(e.wait(WAIT) for e in entered)
    gov.on_throttled()
    assert gov.window == 2
    for i in range(2):
        releases[i].set()
        holders[i].join(WAIT)
    assert gov.in_flight == 2
    with pytest.raises(Transient), gov.slot(timeout=0):
        pass  # two still in flight: window 2 is full
    releases[2].set()
    holders[2].join(WAIT)
    with gov.slot(timeout=0):
        pass
    releases[3].set()
    holders[3].join(WAIT)


def test_growing_window_wakes_a_waiter() -> None:
    clock = FakeClock()
    gov = Governor(2, clock=clock)
    gov.on_throttled()
    assert gov.window == 1
    release, entered = threading.Event(), threading.Event()
    holder = _hold(gov, entered, release)
    assert entered.wait(WAIT)
    waiter_release, waiter_entered = threading.Event(), threading.Event()
    waiter = _hold(gov, waiter_entered, waiter_release)
    assert not waiter_entered.is_set()  # window 1 is held by the holder
    gov.on_success()  # one success at window 1 -> window 2: the waiter may enter
    assert gov.window == 2
    assert waiter_entered.wait(WAIT)
    assert gov.in_flight == 2
    release.set()
    waiter_release.set()
    holder.join(WAIT)
    waiter.join(WAIT)


def test_many_threads_never_exceed_the_window() -> None:
    gov = Governor(3)
    lock = threading.Lock()
    current = peak = 0
    start = threading.Barrier(20)

    def worker() -> None:
        nonlocal current, peak
        start.wait(WAIT)
        for _ in range(50):
            with gov.slot():
                with lock:
                    current += 1
                    peak = max(peak, current)
                time.sleep(0.0005)  # widen the overlap; the assertion does not depend on it
                with lock:
                    current -= 1

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 4)
    assert peak <= 3
    assert gov.in_flight == 0
