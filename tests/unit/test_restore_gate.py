"""Records of a partition whose order memory is still being restored wait (consumer/runner.py `_gate`).

The partition is fetched from the assignment on; its first record pauses it there (pause + seek to
that record) and nothing of it is handed on until the restore ends; then it is resumed and the
record comes again. A partition restored before its first record arrives is never paused.
"""

from __future__ import annotations

from consumer.pipeline.halt import HaltReason
from tests.unit.poll_loop_fakes import MAIN, RETRY, record, runner, turn


def test_a_restoring_partitions_records_wait_at_the_partition_until_its_memory_is_restored() -> None:
    r, client, executor, log = runner({(MAIN, 0), (MAIN, 1)}, restoring={0})
    turn(r, [record(MAIN, 0, 5), record(MAIN, 1, 7), record(MAIN, 0, 6)])
    assert executor.keys == [b"1@7"]  # partition 1 has nothing to restore: its record runs
    assert client.paused == {(MAIN, 0)}
    assert client.seeks == [(MAIN, 0, 5)]
    turn(r, [record(MAIN, 0, 6)])  # fetched before the pause took effect: it comes again
    assert executor.keys == [b"1@7"]
    assert client.seeks == [(MAIN, 0, 5)]
    log.partitions.clear()  # restored
    turn(r, [])
    assert client.paused == set()
    turn(r, [record(MAIN, 0, 5), record(MAIN, 0, 6)])
    assert executor.keys == [b"1@7", b"0@5", b"0@6"]


def test_the_gate_is_by_partition_number_across_the_main_and_retry_topics() -> None:
    """An order's memory belongs to its partition number, whichever topic its record comes from."""
    r, client, executor, _log = runner({(MAIN, 2), (RETRY, 2)}, restoring={2})
    turn(r, [record(RETRY, 2, 0)])
    assert executor.keys == []
    assert client.paused == {(RETRY, 2)}


def test_a_partition_restored_before_its_first_record_is_never_paused() -> None:
    r, client, executor, log = runner({(MAIN, 0)}, restoring={0})
    turn(r, [])
    assert client.paused == set()  # assigned fetching, as the rebalance left it
    log.partitions.clear()
    turn(r, [record(MAIN, 0, 0)])
    assert executor.keys == [b"0@0"]
    assert client.seeks == []


def test_a_gated_partition_that_moves_away_is_forgotten_and_comes_back_fetching() -> None:
    r, client, executor, log = runner({(MAIN, 0)}, restoring={0})
    turn(r, [record(MAIN, 0, 3)])
    r._rebalance.assigned.clear()  # revoked: what Rebalance does before telling the loop
    r._on_assignment_change(set())
    assert r._pauses.gated == set()
    r._rebalance.assigned.add((MAIN, 0))  # assigned again (Rebalance.assign resumes it), restored
    r._on_assignment_change({(MAIN, 0)})
    client.paused.clear()
    log.partitions.clear()
    turn(r, [record(MAIN, 0, 3)])
    assert client.paused == set()
    assert executor.keys == [b"0@3"]


def test_a_partition_assigned_inside_the_fetch_is_gated_in_the_same_turn() -> None:
    """librdkafka runs the assign callback inside `consume()`: what is restoring must be read after
    it, or the new partition's first records would run before its memory is read."""
    r, client, executor, log = runner({(MAIN, 0)}, restoring=set())

    def assigned() -> None:
        r._rebalance.assigned.add((MAIN, 1))
        log.partitions.add(1)

    client.during = assigned
    turn(r, [record(MAIN, 1, 0)])
    assert executor.keys == []
    assert client.paused == {(MAIN, 1)}


def test_a_gated_partition_stays_paused_through_backpressure_until_restored() -> None:
    r, client, executor, log = runner({(MAIN, 0), (MAIN, 1)}, restoring={0})
    turn(r, [record(MAIN, 0, 5)])
    r._halts.engage(HaltReason.CREDENTIALS, "token refused")
    turn(r, [])
    assert client.paused == {(MAIN, 0), (MAIN, 1)}
    r._halts.release(HaltReason.CREDENTIALS)
    turn(r, [])
    assert client.paused == {(MAIN, 0)}  # the halt's pause lifted, the gate's kept
    log.partitions.clear()
    turn(r, [record(MAIN, 0, 5)])
    assert client.paused == set()
    assert executor.keys == [b"0@5"]
