"""The member-wide halt and what engages it: leases, probers, credentials, outage, dead letters.

Clocks are injected and probers are driven by events, so nothing here waits on wall time beyond a
condition with a deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import REGISTRY

from consumer.errors import AuthFailure, Transient
from consumer.netsuite.client import ON_WIRE
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.credentials import Credentials
from consumer.pipeline.dead_letters import DeadLetterBreaker, DeadLetterLimit
from consumer.pipeline.halt import HaltReason, Halts, Prober
from consumer.pipeline.lease import GaveUp, Leases
from consumer.pipeline.outage import OutageBreaker, OutagePolicy

TP = ("orders", 0)


def until(condition: Callable[[], object], what: str, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.005)


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # ends any prober thread


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class TestLeases:
    def test_a_revoke_ends_the_lease_before_any_drain(self) -> None:
        leases = Leases(threading.Event())
        leases.grant([TP])
        lease = leases.lease(TP)
        assert lease.active
        leases.revoke([TP])
        assert not lease.active
        with pytest.raises(GaveUp), lease.call():
            pass

    def test_a_new_assignment_does_not_revive_an_old_lease(self) -> None:
        leases = Leases(threading.Event())
        leases.grant([TP])
        old = leases.lease(TP)
        leases.revoke([TP])
        leases.grant([TP])
        assert not old.active
        assert leases.lease(TP).active

    def test_a_stop_ends_every_lease(self) -> None:
        stop = threading.Event()
        leases = Leases(stop)
        leases.grant([TP])
        lease = leases.lease(TP)
        stop.set()
        assert not lease.active

    def test_the_revoke_waits_only_for_calls_on_the_wire(self) -> None:
        leases = Leases(threading.Event())
        leases.grant([TP])
        on_wire, release = threading.Event(), threading.Event()

        def call() -> None:
            with leases.lease(TP).call():
                on_wire.set()
                release.wait(5)

        worker = threading.Thread(target=call)
        worker.start()
        on_wire.wait(5)
        queued = leases.lease(TP)
        leases.revoke([TP])
        assert leases.calls_on_wire([TP]) == 1
        assert not leases.wait_for_calls([TP], 0.05)  # the call on the wire is still running
        with pytest.raises(GaveUp), queued.call():  # a queued record of TP starts nothing now
            pass
        release.set()
        assert leases.wait_for_calls([TP], 5)
        worker.join(5)

    def test_a_call_is_on_the_wire_only_while_one_of_its_requests_is(self) -> None:
        """CallRetry gives the client the lease's `call` (ON_WIRE): between two requests of one call
        (a SuiteQL page, the id read after a 204) and while it waits for a slot, it is not on the
        wire; after a revoke its next request raises `GaveUp`."""
        leases = Leases(threading.Event())
        leases.grant([TP])
        lease = leases.lease(TP)
        seen: list[int] = []

        def call() -> None:
            hook = ON_WIRE.get()
            assert hook is not None
            seen.append(leases.calls_on_wire([TP]))  # queued for a slot
            with hook():
                seen.append(leases.calls_on_wire([TP]))  # the first request
            seen.append(leases.calls_on_wire([TP]))  # between two requests
            leases.revoke([TP])
            assert leases.wait_for_calls([TP], 0)  # nothing to wait for
            with hook():
                seen.append(-1)  # never: no request after the revoke

        with pytest.raises(GaveUp):
            CallRetry().run(call, lease)
        assert seen == [0, 1, 0]
        assert ON_WIRE.get() is None  # reset after the run
        with pytest.raises(GaveUp):  # a revoked lease starts no attempt at all
            CallRetry().run(lambda: seen.append(-2), lease)
        assert seen == [0, 1, 0]


class TestProber:
    def test_survives_any_exception_and_counts_it(self, stop: threading.Event) -> None:
        answers: list[BaseException | None] = [ValueError("corrupt gzip"), OSError("x"), None]
        released = threading.Event()

        def probe() -> None:
            answer = answers.pop(0)
            if answer is not None:
                raise answer

        before = REGISTRY.get_sample_value(
            "woo_consumer_probe_failures_total", {"reason": "credentials", "error_class": "ValueError"}
        )
        prober = Prober(HaltReason.CREDENTIALS, probe, released.set, stop, first_interval_s=0.001)
        prober.start()
        assert released.wait(5)
        assert answers == []
        after = REGISTRY.get_sample_value(
            "woo_consumer_probe_failures_total", {"reason": "credentials", "error_class": "ValueError"}
        )
        assert (after or 0) - (before or 0) == 1
        until(lambda: prober.alive, "the prober's round ended as a success")

    @pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
    def test_a_prober_that_dies_is_reported_dead(self, stop: threading.Event) -> None:
        halts = Halts()

        def probe() -> None:
            raise SystemExit  # not an Exception: kills the thread, as a bug in a C extension might

        prober = Prober(HaltReason.NETSUITE_OUTAGE, probe, lambda: None, stop, first_interval_s=0.001)
        halts.watch(HaltReason.NETSUITE_OUTAGE, prober)
        halts.engage(HaltReason.NETSUITE_OUTAGE, "test")
        prober.start()
        until(lambda: not prober.alive, "the prober thread died")
        assert halts.dead_probers() == ["netsuite_outage"]


class TestCredentials:
    def test_a_401_halts_until_the_prober_passes(self, stop: threading.Event) -> None:
        halts, passes = Halts(), threading.Event()

        def probe() -> None:
            if not passes.is_set():
                raise AuthFailure("no", status=401)

        credentials = Credentials(probe, halts, stop, first_interval_s=0.001)
        assert not credentials.permission_only(AuthFailure("no", status=401))
        credentials.trip(AuthFailure("no", status=401))
        assert halts.reasons() == {"credentials": "NetSuite refuses our credentials (status=401 code=None)"}
        passes.set()
        until(lambda: not halts.halted, "the credential halt released")

    def test_a_403_with_a_working_token_is_a_permission_and_halts_nothing(
        self, stop: threading.Event
    ) -> None:
        halts, probes = Halts(), []
        clock = Clock()
        credentials = Credentials(lambda: probes.append(1), halts, stop, clock=clock, trust_s=30)
        refused = AuthFailure("no", status=403, error_code="INSUFFICIENT_PERMISSION")
        assert credentials.permission_only(refused)
        assert credentials.permission_only(refused)  # within 30 s: the last probe is trusted
        clock.now += 31
        assert credentials.permission_only(refused)
        assert (probes, halts.halted) == ([1, 1], False)

    def test_a_403_with_a_failing_probe_halts(self, stop: threading.Event) -> None:
        halts = Halts()

        def probe() -> None:
            raise AuthFailure("no", status=403)

        credentials = Credentials(probe, halts, stop, first_interval_s=60)
        assert not credentials.permission_only(AuthFailure("no", status=403))


class TestOutageBreaker:
    def breaker(self, stop: threading.Event, clock: Clock, probe: Callable[[], object]) -> OutageBreaker:
        return OutageBreaker(
            OutagePolicy(after_s=60, min_failures=5),
            probe,
            Halts(),
            stop,
            first_interval_s=0.001,
            clock=clock,
        )

    def test_trips_after_failures_and_silence_then_a_probe_resumes(self, stop: threading.Event) -> None:
        clock, up = Clock(), threading.Event()

        def probe() -> None:
            if not up.is_set():
                raise Transient("503")

        breaker = self.breaker(stop, clock, probe)
        for _ in range(10):
            breaker.on_failure()  # many failures, but NetSuite answered a moment ago
        assert not breaker.open
        breaker.on_answer()
        clock.now += 61
        for _ in range(4):
            breaker.on_failure()
        assert not breaker.open  # silent long enough, but only 4 failures in a row
        breaker.on_failure()
        assert breaker.open
        up.set()
        until(lambda: not breaker.open, "the outage probe was answered")

    def test_an_answer_resets_the_count(self, stop: threading.Event) -> None:
        clock = Clock()
        breaker = self.breaker(stop, clock, lambda: None)
        clock.now += 120
        for _ in range(4):
            breaker.on_failure()
        breaker.on_answer()
        breaker.on_failure()
        assert not breaker.open

    def test_healthy_wants_a_recent_answer_or_a_probe(self, stop: threading.Event) -> None:
        clock, probes = Clock(), []
        down = threading.Event()

        def probe() -> None:
            probes.append(1)
            if down.is_set():
                raise Transient("503")

        breaker = self.breaker(stop, clock, probe)
        assert breaker.healthy()
        assert probes == []
        clock.now += 61
        assert breaker.healthy()
        assert probes == [1]
        down.set()
        assert not breaker.healthy()  # asked again: no answer, so the breaker trips
        assert breaker.open


class TestDeadLetterBreaker:
    def test_trips_on_consecutive_dead_letters_and_a_success_releases(self) -> None:
        halts = Halts()
        breaker = DeadLetterBreaker(DeadLetterLimit(ratio=0, window=100, consecutive=3), halts)
        assert [breaker.admit() for _ in range(4)] == [True, True, False, False]
        assert halts.reasons() == {"dead_letters": "3 records in a row would be dead-lettered"}
        breaker.settled()
        assert not halts.halted
        assert breaker.admit()  # a fresh start

    def test_trips_on_the_share_of_a_full_window_only(self) -> None:
        halts = Halts()
        breaker = DeadLetterBreaker(DeadLetterLimit(ratio=0.5, window=10, consecutive=0), halts)
        for _ in range(4):
            breaker.admit()
            breaker.settled()  # written: not a dead letter
        assert breaker.admit() is True  # 5 of 9 — the window is not full yet
        assert breaker.admit() is False  # 6 of 10
        assert halts.engaged(HaltReason.DEAD_LETTERS)


def test_an_answer_from_before_the_failures_is_no_proof_netsuite_answers(stop: threading.Event) -> None:
    """NetSuite answered at t=0 and died at t=20: at t=30 a record out of retries must not be
    dead-lettered on the strength of that old answer — NetSuite is asked first."""
    clock, probes = Clock(), []

    def probe() -> None:
        probes.append(1)
        raise Transient("503")

    breaker = OutageBreaker(OutagePolicy(after_s=60, min_failures=5), probe, Halts(), stop, clock=clock)
    breaker.on_answer()
    clock.now += 20
    breaker.on_failure()
    clock.now += 10
    assert not breaker.healthy()
    assert probes == [1]
