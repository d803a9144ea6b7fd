"""Slot hand-over (consumer/netsuite/slots.py, through the governor): oldest record first, no barging."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from consumer.netsuite.governor import Governor, Ticket, ticket
from consumer.netsuite.slots import SlotQueue

WAIT = 5.0  # a deadline for something that must happen, never a sleep


def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.001)


def queue_waiter(slots: SlotQueue, priority: float, order: list[float]) -> threading.Thread:
    """A thread that waits for a slot, notes its priority when it gets one, and keeps the slot."""
    before = slots.waiting

    def run() -> None:
        assert slots.acquire(priority, WAIT)
        order.append(priority)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    until(lambda: slots.waiting == before + 1)  # queued before the next one asks
    return thread


def test_released_slots_go_to_the_lowest_priority_first_not_to_the_first_waiter() -> None:
    slots, order = SlotQueue(1), []
    assert slots.acquire(0.0)
    threads = [queue_waiter(slots, p, order) for p in (3.0, 1.0, 2.0)]
    for n in range(1, 4):
        slots.release()
        until(lambda n=n: len(order) == n)  # type: ignore[misc]
    assert order == [1.0, 2.0, 3.0]
    for t in threads:
        t.join(WAIT)


def test_a_released_slot_is_handed_over_so_a_newcomer_cannot_take_it() -> None:
    slots, order = SlotQueue(1), []
    assert slots.acquire(0.0)
    waiter = queue_waiter(slots, 5.0, order)
    slots.release()  # handed to the waiter before anyone else can ask
    assert slots.used == 1
    assert not slots.acquire(0.0, timeout=0)  # even a better priority waits its turn now
    waiter.join(WAIT)
    assert order == [5.0]


def test_a_waiter_that_timed_out_is_skipped() -> None:
    slots, order = SlotQueue(1), []
    assert slots.acquire(0.0)
    assert not slots.acquire(1.0, timeout=0.01)
    waiter = queue_waiter(slots, 2.0, order)
    slots.release()
    waiter.join(WAIT)
    assert order == [2.0]
    assert slots.waiting == 0


def test_growing_hands_out_every_new_slot_and_shrinking_waits_for_returns() -> None:
    slots, order = SlotQueue(1), []
    assert slots.acquire(0.0)
    threads = [queue_waiter(slots, p, order) for p in (1.0, 2.0)]
    slots.resize(3)
    until(lambda: len(order) == 2)
    slots.resize(1)
    assert slots.used == 3
    slots.release()
    slots.release()
    assert not slots.acquire(9.0, timeout=0)  # 1 in use of 1
    slots.release()
    assert slots.acquire(9.0, timeout=0)
    for t in threads:
        t.join(WAIT)


def test_the_governor_serves_the_record_dispatched_first() -> None:
    """An order that already made its customer call (dispatched earlier) gets the next slot before
    an order that asked for its first call earlier but was dispatched later."""
    gov = Governor(1)
    order: list[str] = []
    release = threading.Event()

    def call(name: str, priority: float) -> None:
        with ticket(Ticket(priority)), gov.slot(WAIT):
            order.append(name)

    with gov.slot():
        newer = threading.Thread(target=call, args=("dispatched later", 2.0))
        newer.start()
        until(lambda: gov._slots.waiting == 1)
        older = threading.Thread(target=call, args=("dispatched first", 1.0))
        older.start()
        until(lambda: gov._slots.waiting == 2)
        release.set()
    newer.join(WAIT)
    older.join(WAIT)
    assert order == ["dispatched first", "dispatched later"]
