"""The consumer's small steps, each on its own: offsets, per-key sequencing, routing, backoff, headers."""

from __future__ import annotations

import threading

import pytest

from common import headers as h
from consumer.errors import (
    AuthFailure,
    NotFound,
    Rejected,
    Throttled,
    Transient,
    Undecodable,
    Unmappable,
)
from consumer.pipeline.calls import CallRetry, GaveUp
from consumer.pipeline.forward import SourceRecord, forward_headers
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.keyed_executor import KeyedExecutor
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.route import Forward, Halt, RetryPolicy

TP = ("orders", 0)


class TestOffsetTracker:
    def test_commits_only_the_contiguous_prefix(self) -> None:
        t = OffsetTracker()
        for o in range(5):
            t.add(TP, o)
        t.finish(TP, 0)
        t.finish(TP, 2)
        t.finish(TP, 3)
        assert t.committable() == {TP: 1}  # 1 is still running: 2 and 3 must wait
        t.finish(TP, 1)
        assert t.committable() == {TP: 4}
        t.finish(TP, 4)
        assert t.committable() == {TP: 5}

    def test_reports_only_moved_positions(self) -> None:
        t = OffsetTracker()
        t.add(TP, 10)
        t.finish(TP, 10)
        assert t.committable() == {TP: 11}
        t.mark_committed({TP: 11})
        assert t.committable() == {}

    def test_late_finish_of_a_revoked_partition_is_ignored(self) -> None:
        t = OffsetTracker()
        t.add(TP, 0)
        t.forget([TP])
        t.finish(TP, 0)
        assert t.committable() == {}
        assert t.in_flight() == 0


class TestKeyedExecutor:
    def test_same_key_runs_in_order_and_never_concurrently(self) -> None:
        ex = KeyedExecutor(workers=8)
        seen: list[int] = []
        running = 0
        overlap = False
        lock = threading.Lock()

        def task(n: int) -> None:
            nonlocal running, overlap
            with lock:
                running += 1
                overlap |= running > 1
            seen.append(n)
            with lock:
                running -= 1

        for n in range(200):
            ex.submit(b"order-1", lambda n=n: task(n))
        assert ex.wait_idle(10)
        assert seen == list(range(200))
        assert not overlap
        ex.shutdown()

    def test_different_keys_run_in_parallel(self) -> None:
        ex = KeyedExecutor(workers=2)
        both_started = threading.Barrier(2, timeout=5)
        ex.submit(b"a", both_started.wait)
        ex.submit(b"b", both_started.wait)  # would raise BrokenBarrierError if run one after the other
        assert ex.wait_idle(10)
        assert not both_started.broken
        ex.shutdown()


class TestRetryPolicy:
    policy = RetryPolicy("orders", (5.0, 30.0, 300.0))

    @pytest.mark.parametrize("error", [Transient("x"), Throttled("x")])
    def test_retryable_walks_the_chain_then_dead_letters(self, error: Exception) -> None:
        routes = [self.policy.decide(error, attempts_so_far=n, now_ms=1000) for n in range(4)]  # type: ignore[arg-type]
        assert routes == [
            Forward("orders.retry.1", 1, 6000, "retryable"),
            Forward("orders.retry.2", 2, 31000, "retryable"),
            Forward("orders.retry.3", 3, 301000, "retryable"),
            Forward("orders.dlq", 4, None, "exhausted"),
        ]

    @pytest.mark.parametrize("error", [Rejected("x"), Unmappable("x"), Undecodable("x"), NotFound("x")])
    def test_permanent_errors_skip_the_chain(self, error: Exception) -> None:
        assert self.policy.decide(error, attempts_so_far=0, now_ms=0) == Forward(
            "orders.dlq", 1, None, "permanent"
        )  # type: ignore[arg-type]

    def test_auth_failure_halts_and_is_never_forwarded(self) -> None:
        assert isinstance(self.policy.decide(AuthFailure("x", status=401), attempts_so_far=3, now_ms=0), Halt)

    def test_levels(self) -> None:
        assert [self.policy.level_of(t) for t in ("orders", "orders.retry.1", "orders.retry.3")] == [0, 1, 3]


class TestCallRetry:
    def test_retries_retryable_errors_with_growing_backoff(self) -> None:
        sleeps: list[float] = []
        calls = iter([Transient("a"), Throttled("b"), "ok"])

        def call() -> str:
            value = next(calls)
            if isinstance(value, Exception):
                raise value
            return value

        retry = CallRetry(
            attempts=4, base_delay_s=0.1, max_delay_s=1, sleep=sleeps.append, jitter=lambda: 1.0
        )
        assert retry.run(call) == "ok"
        assert sleeps == [0.1, 0.2]

    def test_gives_up_after_the_last_attempt(self) -> None:
        sleeps: list[float] = []
        retry = CallRetry(
            attempts=3, base_delay_s=1, max_delay_s=1.5, sleep=sleeps.append, jitter=lambda: 1.0
        )

        def call() -> None:
            raise Transient("down")

        with pytest.raises(Transient):
            retry.run(call)
        assert sleeps == [1, 1.5]

    def test_a_stop_during_the_backoff_ends_the_retries(self) -> None:
        stop = threading.Event()
        attempts: list[int] = []

        def call() -> None:
            attempts.append(1)
            raise Transient("down")

        def sleep(seconds: float) -> None:
            stop.set()  # SIGTERM arrives while the first backoff waits

        retry = CallRetry(attempts=5, sleep=sleep)
        with pytest.raises(GaveUp):
            retry.run(call, proceed=lambda: not stop.is_set())
        assert len(attempts) == 1  # no second call after the stop

    def test_nothing_is_called_for_a_record_that_is_no_longer_ours(self) -> None:
        calls: list[int] = []
        with pytest.raises(GaveUp):
            CallRetry().run(lambda: calls.append(1), proceed=lambda: False)
        assert calls == []

    def test_permanent_errors_are_not_retried(self) -> None:
        sleeps: list[float] = []
        retry = CallRetry(sleep=sleeps.append)

        def call() -> None:
            raise Rejected("bad")

        with pytest.raises(Rejected):
            retry.run(call)
        assert sleeps == []


class TestForwardHeaders:
    def test_first_failure_records_its_origin(self) -> None:
        record = SourceRecord("orders", 2, 41, b"7", b"v", [("trace", b"t1")])
        hdrs = dict(
            forward_headers(record, Forward("orders.retry.1", 1, 5000, "retryable"), Transient("503"))
        )
        assert hdrs[h.ORIGINAL_TOPIC] == b"orders"
        assert hdrs[h.ORIGINAL_PARTITION] == b"2"
        assert hdrs[h.ORIGINAL_OFFSET] == b"41"
        assert hdrs[h.ATTEMPT] == b"1"
        assert hdrs[h.ERROR_CLASS] == b"Transient"
        assert hdrs[h.DUE_AT_MS] == b"5000"
        assert hdrs["trace"] == b"t1"

    def test_later_failures_keep_the_original_and_replace_the_rest(self) -> None:
        first = SourceRecord("orders", 2, 41, b"7", b"v", [])
        hop = forward_headers(first, Forward("orders.retry.1", 1, 5000, "retryable"), Transient("503"))
        second = SourceRecord("orders.retry.1", 2, 3, b"7", b"v", hop)
        out = forward_headers(second, Forward("orders.dlq", 2, None, "exhausted"), Rejected("bad sku"))
        keys = [k for k, _ in out]
        assert len(keys) == len(set(keys)), "no header twice"
        hdrs = dict(out)
        assert (hdrs[h.ORIGINAL_TOPIC], hdrs[h.ORIGINAL_OFFSET]) == (b"orders", b"41")
        assert (hdrs[h.ATTEMPT], hdrs[h.ERROR_CLASS], hdrs[h.ERROR_MESSAGE]) == (
            b"2",
            b"Rejected",
            b"bad sku",
        )
        assert h.DUE_AT_MS not in hdrs


def test_holds_release_only_when_due_and_forget_revoked() -> None:
    holds = DueTimeHolds()
    holds.hold(("r1", 0), 5, due_at_ms=1000)
    holds.hold(("r1", 1), 9, due_at_ms=2000)
    assert holds.release_due(999) == []
    assert holds.release_due(1000) == [("r1", 0)]
    holds.forget([("r1", 1)])
    assert holds.held() == set()
