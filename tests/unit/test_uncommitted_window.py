"""A partition pauses once too many of its records are held uncommitted (`CONSUMER_MAX_UNCOMMITTED`).

Offsets are committed up to the first unfinished record; everything handed on past it is redone
after a crash or a rebalance. The in-flight cap counts only unfinished records, so one record stuck
in a slow call — or commits postponed while the memory topic does not acknowledge — let that redo
grow with the backlog. The window bounds it per partition; the other partitions keep fetching.
"""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from consumer.member import build_member
from consumer.pipeline.offsets import OffsetTracker
from consumer.settings import ConsumerSettings
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
    r._window.limit = 3
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


def test_a_partition_no_longer_assigned_is_never_paused_for_its_window() -> None:
    r, client, _executor, _log = runner({(MAIN, 0)}, restoring=set())
    r._window.limit = 1
    r._tracker.add((MAIN, 1), 0)  # a partition that moved on before the tracker forgot it
    turn(r, [])
    assert client.paused == set()


def test_the_pause_is_logged_once_with_its_cause_and_the_resume_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    r, _client, _executor, _log = runner({(MAIN, 0)}, restoring=set())
    r._window.limit = 2
    turn(r, [record(MAIN, 0, 0), record(MAIN, 0, 1)])
    with caplog.at_level(logging.INFO, logger="consumer.pipeline.window"):
        turn(r, [])
        turn(r, [])
        r._tracker.finish((MAIN, 0), 0)
        r._tracker.finish((MAIN, 0), 1)
        r._tracker.mark_committed({(MAIN, 0): 2})
        turn(r, [])
        turn(r, [])
    said = [rec.getMessage() for rec in caplog.records]
    assert len(said) == 2, said
    assert said[0].startswith(f"{MAIN}/0 paused: 2 records handed on since its last commit")
    assert "first unfinished at offset 0" in said[0]
    assert said[1] == f"{MAIN}/0 fetches again: its commit caught up"


def test_the_member_is_built_with_the_setting_and_it_is_at_least_a_fetch_and_more() -> None:
    settings = ConsumerSettings(
        kafka_bootstrap_servers="127.0.0.1:1",  # never dialled: nothing runs
        netsuite_account_id="1234567",
        netsuite_consumer_key="k",
        netsuite_consumer_secret="s",
        netsuite_token_id="t",
        netsuite_token_secret="x",
        consumer_max_uncommitted=1234,
        metrics_port=0,
    )
    member = build_member(settings)
    try:
        assert member.runner._window.limit == 1234
    finally:
        member.close()
    with pytest.raises(ValidationError, match="consumer_max_uncommitted"):
        ConsumerSettings(**{**settings.model_dump(), "consumer_max_uncommitted": 999})


@pytest.mark.parametrize("assigned_again", [False, True], ids=["revoked", "revoked-and-assigned-again"])
def test_a_partition_revoked_while_held_back_is_not_said_to_fetch_again(
    assigned_again: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Its window did not clear, the partition moved (and may be back within the same poll, its
    tracker state forgotten): no 'fetches again' line."""
    r, client, _executor, _log = runner({(MAIN, 0)}, restoring=set())
    r._window.limit = 1
    turn(r, [record(MAIN, 0, 0)])
    turn(r, [])  # held back now

    def rebalance() -> None:  # inside consume(), as librdkafka runs the callbacks
        r._rebalance.assigned.discard((MAIN, 0))
        r._tracker.forget([(MAIN, 0)])
        r._on_assignment_change(set(r._rebalance.assigned))
        if assigned_again:
            r._rebalance.assigned.add((MAIN, 0))
            r._on_assignment_change(set(r._rebalance.assigned))

    client.during = rebalance
    with caplog.at_level(logging.INFO, logger="consumer.pipeline.window"):
        turn(r, [])
        turn(r, [])
    assert "fetches again" not in caplog.text
