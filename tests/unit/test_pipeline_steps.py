"""The consumer's small steps, each on its own: offsets, per-key sequencing, routing, backoff, headers."""

from __future__ import annotations

import threading

import pytest

from common import headers as h
from consumer.errors import (
    AuthFailure,
    NotFound,
    Rejected,
    SchemaRegistryDown,
    Throttled,
    Transient,
    TryAgain,
    Undecodable,
    Unmappable,
)
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.forward import SourceRecord, forward_headers
from consumer.pipeline.halt import HaltReason
from consumer.pipeline.holds import DueTimeHolds
from consumer.pipeline.keyed_executor import KeyedExecutor
from consumer.pipeline.lease import GaveUp, Leases
from consumer.pipeline.offsets import OffsetTracker
from consumer.pipeline.route import Forward, RetryPolicy, Wait

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

    def test_says_how_long_each_newly_committed_record_waited_for_its_commit(self) -> None:
        now = [100.0]
        t = OffsetTracker(clock=lambda: now[0])
        for o in range(3):
            t.add(TP, o)
        t.finish(TP, 1)
        now[0] = 101.0
        t.finish(TP, 0)
        now[0] = 102.5
        t.finish(TP, 2)
        assert sorted(t.mark_committed({TP: 2})) == [1.5, 2.5]  # 0 and 1; 2 is not covered yet
        now[0] = 103.0
        assert t.mark_committed({TP: 3}) == [0.5]
        assert t.mark_committed({TP: 3}) == []  # counted once
        assert t.mark_committed({("other", 0): 5}) == []

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

    def test_a_shutdown_without_waiting_still_runs_every_task_submitted(self) -> None:
        """The member stops without waiting only after a drain timed out; the tasks still queued then
        see the stop and return at once, and their accounting (the in-flight gauge) runs with them.
        Cancelled, they left `woo_consumer_in_flight_records` above 0 for good."""
        ex = KeyedExecutor(workers=1)
        release, ran = threading.Event(), threading.Event()
        ex.submit(b"a", lambda: release.wait(5))  # the only worker, busy
        ex.submit(b"b", ran.set)  # queued behind it
        ex.shutdown(wait=False)
        release.set()
        assert ran.wait(5)


class FakeChecks:
    """`route.Checks` with fixed answers; records which were asked."""

    def __init__(
        self, *, token_works: bool = True, outage: bool = False, healthy: bool = True, admit: bool = True
    ) -> None:
        self.token_works, self.outage, self.healthy, self.admit = token_works, outage, healthy, admit
        self.asked: list[str] = []

    def permission_only(self, error: AuthFailure) -> bool:
        self.asked.append("permission")
        return self.token_works

    def halt_credentials(self, error: AuthFailure) -> None:
        self.asked.append("halt")

    def halt_registry(self, error: Exception) -> None:
        self.asked.append("registry")

    def outage_open(self) -> bool:
        return self.outage

    def netsuite_healthy(self) -> bool:
        self.asked.append("healthy")
        return self.healthy

    def admit_dead_letter(self) -> bool:
        self.asked.append("admit")
        return self.admit


class TestRetryPolicy:
    """The table in `consumer/pipeline/route.py`, row by row."""

    policy = RetryPolicy("orders", (5.0, 30.0, 300.0))

    def decide(self, error: Exception, attempts: int = 0, **checks: bool) -> Forward | Wait:
        return self.policy.decide(error, attempts_so_far=attempts, now_ms=1000, checks=FakeChecks(**checks))  # type: ignore[arg-type]

    @pytest.mark.parametrize("error", [Transient("x"), Throttled("x"), TryAgain("x")])
    def test_retryable_walks_the_chain(self, error: Exception) -> None:
        assert [self.decide(error, n) for n in range(3)] == [
            Forward("orders.retry.1", 1, 6000, "retryable"),
            Forward("orders.retry.2", 2, 31000, "retryable"),
            Forward("orders.retry.3", 3, 301000, "retryable"),
        ]

    @pytest.mark.parametrize("error", [Transient("x"), TryAgain("x")])
    def test_a_transient_failure_out_of_retries_is_dead_lettered_when_netsuite_answers(
        self, error: Exception
    ) -> None:
        assert self.decide(error, 3) == Forward("orders.dlq", 4, None, "exhausted")

    def test_throttling_out_of_retries_is_parked_never_dead_lettered(self) -> None:
        """NetSuite's concurrency limit is shared: another integration's burst is not the order's fault."""
        checks = FakeChecks()
        route = self.policy.decide(Throttled("429"), attempts_so_far=3, now_ms=1000, checks=checks)  # type: ignore[arg-type]
        assert route == Forward("orders.retry.3", 3, 301000, "throttled")
        assert checks.asked == []

    def test_exhausted_while_netsuite_does_not_answer_waits_for_the_outage(self) -> None:
        assert self.decide(Transient("x"), 3, healthy=False) == Wait(HaltReason.NETSUITE_OUTAGE)

    @pytest.mark.parametrize("attempts", [0, 2, 3])
    def test_retryable_during_an_outage_waits_without_spending_an_attempt(self, attempts: int) -> None:
        assert self.decide(Transient("x"), attempts, outage=True) == Wait(HaltReason.NETSUITE_OUTAGE)

    @pytest.mark.parametrize("error", [Rejected("x"), Unmappable("x"), Undecodable("x"), NotFound("x")])
    def test_permanent_errors_skip_the_chain(self, error: Exception) -> None:
        assert self.decide(error) == Forward("orders.dlq", 1, None, "permanent")

    def test_a_dead_letter_the_breaker_refuses_waits(self) -> None:
        assert self.decide(Rejected("x"), admit=False) == Wait(HaltReason.DEAD_LETTERS)
        assert self.decide(Transient("x"), 3, admit=False) == Wait(HaltReason.DEAD_LETTERS)

    def test_401_halts_without_asking_the_probe(self) -> None:
        checks = FakeChecks()
        route = self.policy.decide(AuthFailure("x", status=401), attempts_so_far=3, now_ms=0, checks=checks)  # type: ignore[arg-type]
        assert route == Wait(HaltReason.CREDENTIALS)
        assert checks.asked == ["halt"]  # no probe first: a 401 is about the credentials

    def test_403_with_a_failing_probe_halts(self) -> None:
        assert self.decide(AuthFailure("x", status=403), token_works=False) == Wait(HaltReason.CREDENTIALS)

    @pytest.mark.parametrize(("attempts", "header"), [(0, 1), (2, 2)])
    def test_403_with_a_working_token_is_parked_in_the_last_retry_topic_keeping_its_count(
        self, attempts: int, header: int
    ) -> None:
        """The count is the `x-attempt` header, 1-based by the contract: a record parked at its first
        try carries 1, not 0 (so one attempt of its chain is spent)."""
        assert self.decide(AuthFailure("x", status=403), attempts) == Forward(
            "orders.retry.3", header, 301000, "permission"
        )

    def test_a_registry_that_does_not_answer_halts_and_is_never_a_dead_letter(self) -> None:
        checks = FakeChecks()
        route = self.policy.decide(SchemaRegistryDown("down"), attempts_so_far=0, now_ms=0, checks=checks)  # type: ignore[arg-type]
        assert (route, checks.asked) == (Wait(HaltReason.SCHEMA_REGISTRY), ["registry"])

    def test_levels(self) -> None:
        assert [self.policy.level_of(t) for t in ("orders", "orders.retry.1", "orders.retry.3")] == [0, 1, 3]

    @pytest.mark.parametrize(
        ("topic", "header", "attempts"),
        [
            ("orders", b"7", 0),  # the main topic starts afresh whatever the header says
            ("orders.retry.2", None, 2),
            ("orders.retry.2", b"1", 1),  # parked for a permission: fewer than its level
            ("orders.retry.2", b"-9", 0),  # forged: clamped, never an IndexError
            ("orders.retry.2", b"1000000000", 2),  # forged: clamped, never skips the retries
            ("orders.retry.2", b"x", 2),
        ],
    )
    def test_attempts_are_clamped_to_what_we_could_have_written(
        self, topic: str, header: bytes | None, attempts: int
    ) -> None:
        headers = [] if header is None else [(h.ATTEMPT, header)]
        assert self.policy.attempts_of(topic, headers) == attempts
        route = self.decide(Transient("x"), self.policy.attempts_of(topic, headers))
        assert isinstance(route, Forward)  # a real route for any header

    @pytest.mark.parametrize(
        ("header_due", "timestamp", "due"),
        [
            (40_000, 10_000, 40_000),  # as written: timestamp + 30 s
            (10**15, 10_000, 40_000),  # far-future header: capped at timestamp + the topic's delay
            (None, 10_000, 40_000),
            (10**15, 10**14, 20_000),  # the record's own timestamp is in the future: due now
            (5_000, 0, 5_000),  # no timestamp: the header, capped at now
        ],
    )
    def test_due_times_are_capped_at_the_records_timestamp_plus_the_delay(
        self, header_due: int | None, timestamp: int, due: int
    ) -> None:
        assert self.policy.due_at_ms("orders.retry.2", header_due, timestamp, now_ms=20_000) == due


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

        leases = Leases(stop)
        leases.grant([TP])
        retry = CallRetry(attempts=5, sleep=sleep)
        with pytest.raises(GaveUp):
            retry.run(call, leases.lease(TP))
        assert len(attempts) == 1  # no second call after the stop

    def test_nothing_is_called_for_a_record_that_is_no_longer_ours(self) -> None:
        leases = Leases(threading.Event())
        leases.grant([TP])
        lease = leases.lease(TP)
        leases.revoke([TP])
        calls: list[int] = []
        with pytest.raises(GaveUp):
            CallRetry().run(lambda: calls.append(1), lease)
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
        route = Forward("orders.retry.1", 1, 5000, "retryable")
        hdrs = dict(forward_headers(record, route, "Transient", "503", first_hop=True))
        assert hdrs[h.ORIGINAL_TOPIC] == b"orders"
        assert hdrs[h.ORIGINAL_PARTITION] == b"2"
        assert hdrs[h.ORIGINAL_OFFSET] == b"41"
        assert hdrs[h.ATTEMPT] == b"1"
        assert hdrs[h.ERROR_CLASS] == b"Transient"
        assert hdrs[h.DUE_AT_MS] == b"5000"
        assert hdrs["trace"] == b"t1"

    def test_later_failures_keep_the_original_and_replace_the_rest(self) -> None:
        first = SourceRecord("orders", 2, 41, b"7", b"v", [])
        hop = forward_headers(
            first, Forward("orders.retry.1", 1, 5000, "retryable"), "Transient", "503", first_hop=True
        )
        second = SourceRecord("orders.retry.1", 2, 3, b"7", b"v", hop)
        out = forward_headers(
            second, Forward("orders.dlq", 2, None, "exhausted"), "Rejected", "bad sku", first_hop=False
        )
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

    def test_a_main_topic_record_cannot_forge_its_origin(self) -> None:
        forged = SourceRecord("orders", 2, 41, b"7", b"v", [(h.ORIGINAL_TOPIC, b"elsewhere")])
        route = Forward("orders.dlq", 1, None, "permanent")
        hdrs = dict(forward_headers(forged, route, "Rejected", "x", first_hop=True))
        assert hdrs[h.ORIGINAL_TOPIC] == b"orders"


def test_holds_release_only_when_due_and_forget_revoked() -> None:
    holds = DueTimeHolds()
    holds.hold(("r1", 0), 5, due_at_ms=1000)
    holds.hold(("r1", 1), 9, due_at_ms=2000)
    assert holds.release_due(999) == []
    assert holds.release_due(1000) == [("r1", 0)]
    holds.forget([("r1", 1)])
    assert holds.held() == set()
