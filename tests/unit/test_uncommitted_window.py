"""A partition pauses once too many of its records are held uncommitted (`CONSUMER_MAX_UNCOMMITTED`).

Offsets are committed up to the first unfinished record; everything handed on past it is redone
after a crash or a rebalance. The in-flight cap counts only unfinished records, so one record stuck
in a slow call — or commits postponed while the memory topic does not acknowledge — let that redo
grow with the backlog. The window bounds it per partition; the other partitions keep fetching.
"""

from __future__ import annotations

from consumer.pipeline.offsets import OffsetTracker
from tests.unit.poll_loop_fakes import MAIN, record, runner, turn


def test_the_window_counts_unfinished_records_and_finished_ones_not_yet_committed() -> None:
    tracker = OffsetTracker()
    for offset in range(4):
        tracker.add((MAIN, 0), offset)
    tracker.add((MAIN, 1), 0)
    for offset in (1, 2, 3):
        tracker.finish((MAIN, 0), offset)
    assert tracker.over_window(4) == {(MAIN, 0)}  # offset 0 unfinished, 1-3 finished behind it
    assert tracker.over_window(5) == set()
    tracker.finish((MAIN, 0), 0)
    assert tracker.over_window(4) == {(MAIN, 0)}  # all finished, none acknowledged: all redone on a crash
    tracker.mark_committed({(MAIN, 0): 4})
    assert tracker.over_window(1) == {(MAIN, 1)}  # partition 0's window emptied; 1 still has its record


def test_a_partition_behind_a_stuck_record_pauses_alone_and_resumes_once_its_commit_catches_up() -> None:
    r, client, executor, _log = runner({(MAIN, 0), (MAIN, 1)}, restoring=set())
    r._max_uncommitted = 3
    turn(r, [record(MAIN, 0, o) for o in range(4)] + [record(MAIN, 1, 0)])
    assert len(executor.keys) == 5
    for offset in (1, 2, 3):  # offset 0 is stuck (a slow call); the records behind it finish
        r._tracker.finish((MAIN, 0), offset)
    turn(r, [])
    assert client.paused == {(MAIN, 0)}  # partition 1 keeps fetching
    r._tracker.finish((MAIN, 0), 0)
    turn(r, [])
    assert client.paused == {(MAIN, 0)}  # finished but not yet acknowledged by the broker
    r._tracker.mark_committed({(MAIN, 0): 4})
    turn(r, [])
    assert client.paused == set()
