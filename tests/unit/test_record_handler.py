"""`RecordHandler`: one record to its durable outcome, with fakes for NetSuite and the producer.

Each test plays one row of the routing table (`consumer/pipeline/route.py`) through the real
breakers: where the record goes, whether the member halts, and that a halted record comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from common import headers as h
from common.publisher import PublishError
from consumer.errors import AuthFailure, Rejected, SyncError, Transient
from consumer.pipeline.credentials import Credentials
from consumer.pipeline.dead_letters import DeadLetterBreaker, DeadLetterLimit
from consumer.pipeline.forward import SourceRecord, forward_headers
from consumer.pipeline.halt import HaltReason, Halts, ProbedHalt
from consumer.pipeline.handle import MemberChecks, RecordHandler
from consumer.pipeline.lease import Lease, Leases
from consumer.pipeline.outage import OutageBreaker, OutagePolicy
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.route import Forward, RetryPolicy
from schemas.avro_record import to_record
from schemas.order import OrderEvent, WooOrder
from schemas.serde import SingleObjectSerde

SERDE = SingleObjectSerde()
ORDER = {"id": 7, "status": "processing", "billing": {"email": "anna@example.com", "last_name": "Lindqvist"}}
EVENT = OrderEvent(order=WooOrder.model_validate(ORDER), received_at_ms=1)
RECORD = SourceRecord("orders", 0, 41, b"7", SERDE.encode(EVENT), [])
POLICY = RetryPolicy("orders", (5.0, 30.0))
DEFAULT_LIMIT = DeadLetterLimit()


class FakeWriter:
    """Raises the scripted errors (or calls the scripted functions) in turn, then writes."""

    def __init__(self, script: list[SyncError | Exception | Callable[[], None]]) -> None:
        self.script = script
        self.attempts = 0
        self.parked_ids: list[int] = []

    def write(
        self, event: OrderEvent, *, from_retry: bool, lease: Lease | None = None, redriven: bool = False
    ) -> Outcome:
        self.attempts += 1
        self.trusted_memory = not from_retry
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, BaseException):
                raise step
            step()
        return Outcome.WRITTEN

    def parked(self, event: OrderEvent, lease: Lease) -> None:
        self.parked_ids.append(event.order.id)


class FakeForwarder:
    def __init__(self, failures: list[PublishError] | None = None) -> None:
        self.sent: list[tuple[str, dict[str, bytes]]] = []
        self.failures = failures or []

    def forward(self, record: SourceRecord, route: Forward, error_class: str, message: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        headers = forward_headers(record, route, error_class, message, first_hop=record.topic == "orders")
        self.sent.append((route.topic, dict(headers)))


class Probe:
    """A NetSuite probe that fails until `up` is set."""

    def __init__(self, up: bool = True) -> None:
        self.up = threading.Event()
        if up:
            self.up.set()
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1
        if not self.up.is_set():
            raise Transient("503")


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # ends any prober thread


class Member:
    """A handler wired to real breakers, fake NetSuite probes and a granted lease."""

    def __init__(
        self,
        stop: threading.Event,
        writer: FakeWriter,
        *,
        forwarder: FakeForwarder | None = None,
        credential_probe: Callable[[], None] | None = None,
        outage_probe: Probe | None = None,
        limit: DeadLetterLimit = DEFAULT_LIMIT,
    ) -> None:
        self.halts = Halts()
        self.writer, self.forwarder = writer, forwarder or FakeForwarder()
        self.outage_probe = outage_probe or Probe()
        self.outage = OutageBreaker(
            OutagePolicy(after_s=60, min_failures=1),
            self.outage_probe,
            self.halts,
            stop,
            first_interval_s=0.01,
        )
        self.registry_probe = Probe()
        self.checks = MemberChecks(
            Credentials(credential_probe or (lambda: None), self.halts, stop, first_interval_s=0.01),
            self.outage,
            DeadLetterBreaker(limit, self.halts),
            ProbedHalt(
                HaltReason.SCHEMA_REGISTRY, self.registry_probe, self.halts, stop, first_interval_s=0.01
            ),
        )
        self.handler = RecordHandler(
            SERDE, writer, POLICY, self.forwarder, self.halts, self.checks,  # type: ignore[arg-type]
            first_backoff_s=0.01, max_backoff_s=0.05,
        )  # fmt: skip
        self.leases = Leases(stop)
        self.leases.grant([("orders", 0), ("orders.retry.1", 0), ("orders.retry.2", 0)])

    def handle(self, record: SourceRecord = RECORD) -> bool:
        return self.handler.handle(record, self.leases.lease((record.topic, record.partition)))


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_transient_failure_goes_to_the_first_retry_topic(stop: threading.Event) -> None:
    m = Member(stop, FakeWriter([Transient("503")]))
    assert m.handle() is True
    [(topic, headers)] = m.forwarder.sent
    assert (topic, headers[h.ATTEMPT], headers[h.ERROR_CLASS]) == ("orders.retry.1", b"1", b"Transient")
    assert m.writer.parked_ids == [7]  # an older copy behind it on the main topic is stale now


def test_a_rejected_record_is_dead_lettered_with_a_reason_free_of_personal_data(
    stop: threading.Event,
) -> None:
    detail = 'Invalid Field Value anna@example.com for field email; addressee "Lindqvist" too long'
    m = Member(stop, FakeWriter([Rejected("upsert:customer: HTTP 400", status=400, detail=detail)]))
    assert m.handle() is True
    [(topic, headers)] = m.forwarder.sent
    assert topic == "orders.dlq"
    message = headers[h.ERROR_MESSAGE].decode()
    assert "anna@example.com" not in message
    assert "Lindqvist" not in message
    assert "for field email" in message
    assert "[redacted]" in message


def test_a_401_waits_for_the_probe_then_writes_the_same_record(stop: threading.Event) -> None:
    token = Probe(up=False)
    m = Member(stop, FakeWriter([AuthFailure("no", status=401)]), credential_probe=token)
    threading.Timer(0.05, token.up.set).start()
    assert m.handle() is True
    assert m.forwarder.sent == []
    assert m.writer.attempts == 2
    assert token.calls >= 1
    assert not m.halts.halted


def test_a_403_with_a_working_token_parks_the_record_and_halts_nothing(stop: threading.Event) -> None:
    before = sample("woo_consumer_permission_parked_total")
    m = Member(stop, FakeWriter([AuthFailure("no", status=403, error_code="INSUFFICIENT_PERMISSION")]))
    assert m.handle() is True
    [(topic, headers)] = m.forwarder.sent
    assert (topic, headers[h.ATTEMPT]) == ("orders.retry.2", b"1")  # the last retry topic; 1-based
    assert not m.halts.halted
    assert sample("woo_consumer_permission_parked_total") == before + 1


def test_a_bug_is_dead_lettered_with_the_exception_type_not_a_crash(stop: threading.Event) -> None:
    before = sample("woo_consumer_record_bugs_total", error_class="ZeroDivisionError")
    m = Member(stop, FakeWriter([ZeroDivisionError("division by zero")]))
    assert m.handle() is True
    [(topic, headers)] = m.forwarder.sent
    assert (topic, headers[h.ERROR_CLASS]) == ("orders.dlq", b"ZeroDivisionError")
    assert headers[h.ERROR_MESSAGE].startswith(b"bug: ZeroDivisionError in ")
    assert sample("woo_consumer_record_bugs_total", error_class="ZeroDivisionError") == before + 1


def test_a_value_nested_too_deep_is_undecodable_not_a_crash(stop: threading.Event) -> None:
    record = to_record(
        OrderEvent(order=WooOrder.model_validate({"id": 7, "line_items": [{"meta_data": [{"key": "k"}]}]}))
    )
    record["order"]["line_items"][0]["meta_data"][0]["value_json"] = "[" * 50_000 + "]" * 50_000
    poison = SourceRecord("orders", 0, 42, b"7", SERDE.encode_record(record), [])
    m = Member(stop, FakeWriter([]))
    assert m.handle(poison) is True
    [(topic, headers)] = m.forwarder.sent
    assert (topic, headers[h.ERROR_CLASS]) == ("orders.dlq", b"Undecodable")
    assert b"RecursionError" in headers[h.ERROR_MESSAGE]


def test_a_record_out_of_retries_while_netsuite_is_down_waits_instead_of_dead_lettering(
    stop: threading.Event,
) -> None:
    netsuite = Probe(up=False)
    m = Member(stop, FakeWriter([Transient("503")]), outage_probe=netsuite)
    m.outage._last_answer -= 120  # nothing answered for two minutes
    exhausted = SourceRecord("orders.retry.2", 0, 9, b"7", RECORD.value, [(h.ATTEMPT, b"2")])
    threading.Timer(0.1, netsuite.up.set).start()
    assert m.handle(exhausted) is True  # written once NetSuite answered again
    assert m.forwarder.sent == []
    assert m.writer.attempts == 2
    assert not m.halts.halted


def test_a_record_out_of_retries_while_netsuite_answers_is_dead_lettered(stop: threading.Event) -> None:
    m = Member(stop, FakeWriter([Transient("503")]))
    exhausted = SourceRecord("orders.retry.2", 0, 9, b"7", RECORD.value, [(h.ATTEMPT, b"2")])
    assert m.handle(exhausted) is True
    [(topic, headers)] = m.forwarder.sent
    assert (topic, headers[h.ATTEMPT], headers[h.ORIGINAL_TOPIC]) == ("orders.dlq", b"3", b"orders.retry.2")


def test_the_dead_letter_breaker_holds_the_record_until_a_write_succeeds(stop: threading.Event) -> None:
    rejected = [Rejected("bad", status=400) for _ in range(3)]
    m = Member(stop, FakeWriter(list(rejected)), limit=DeadLetterLimit(ratio=0, window=10, consecutive=1))
    assert m.handle() is True  # rejected three times while halted, then the cause was fixed
    assert m.forwarder.sent == []
    assert m.writer.attempts == 4
    assert not m.halts.halted  # the success released the halt


def test_a_systemic_retryable_failure_trips_the_dead_letter_breaker_too(stop: threading.Event) -> None:
    """Each order walks main → retry.1 → retry.2 → dead letter. Counting its hops as outcomes that are
    no dead letter reset the run and kept the share under 1/(hops + 1): a NetSuite answering 5xx to
    every write (its reads and the probe answering) emptied the stream into the dead-letter topic
    (audit of the retry chain, 2026-12-03). Only final outcomes count now."""
    limit = DeadLetterLimit(ratio=0, window=100, consecutive=5)
    m = Member(stop, FakeWriter([Transient("503")] * 30), limit=limit)  # 10 orders' worth, then fixed
    hops = [("orders", []), ("orders.retry.1", [(h.ATTEMPT, b"1")]), ("orders.retry.2", [(h.ATTEMPT, b"2")])]
    for n in range(10):
        for topic, headers in hops:
            assert m.handle(SourceRecord(topic, 0, n, b"7", RECORD.value, headers)) is True
    dead = [t for t, _ in m.forwarder.sent if t == "orders.dlq"]
    assert len(dead) == 4  # the fifth in a row tripped it: held until a write succeeded, then all written
    assert not m.halts.halted


def test_a_topic_that_refuses_records_for_good_halts_until_a_forward_succeeds(stop: threading.Event) -> None:
    refused = PublishError("delivery failed: MSG_SIZE_TOO_LARGE", too_large=True)
    forwarder = FakeForwarder([refused, refused])
    seen: list[dict[str, str]] = []
    m = Member(stop, FakeWriter([Transient("503")]), forwarder=forwarder)
    forwarder.forward = _watching(forwarder.forward, lambda: seen.append(m.halts.reasons()))  # type: ignore[method-assign]
    assert m.handle() is True
    assert any("forwarding" in reasons for reasons in seen)  # halted while it refused
    assert [t for t, _ in forwarder.sent] == ["orders.retry.1"]
    assert not m.halts.halted


def _watching(call: Callable[..., Any], watch: Callable[[], None]) -> Callable[..., Any]:
    def wrapped(*args: Any) -> Any:
        watch()
        return call(*args)

    return wrapped


def test_a_revoke_during_a_halt_gives_the_record_back_at_once(stop: threading.Event) -> None:
    m = Member(stop, FakeWriter([AuthFailure("no", status=401)]), credential_probe=Probe(up=False))
    threading.Timer(0.05, lambda: m.leases.revoke([("orders", 0)])).start()
    started = time.monotonic()
    assert m.handle() is False  # uncommitted: its new owner processes it
    assert time.monotonic() - started < 2
    assert m.forwarder.sent == []


def test_records_leaving_the_retry_topics_are_counted_as_settled(stop: threading.Event) -> None:
    """`retried - settled` is what waits in the retry topics (make run's "retrying")."""
    from_retry = SourceRecord("orders.retry.1", 0, 3, b"7", RECORD.value, [])
    before = sample("woo_consumer_retry_settled_total")
    Member(stop, FakeWriter([])).handle(RECORD)  # main topic: not a retry
    assert sample("woo_consumer_retry_settled_total") == before
    Member(stop, FakeWriter([])).handle(from_retry)  # written
    Member(stop, FakeWriter([Transient("503")])).handle(from_retry)  # handed on
    assert sample("woo_consumer_retry_settled_total") == before + 2


def test_a_repair_record_is_decided_on_what_netsuite_holds_not_on_memory(stop: threading.Event) -> None:
    """`audit --repair` marks its records `x-repair`: NetSuite was changed behind the group's back."""
    plain, repair = FakeWriter([]), FakeWriter([])
    Member(stop, plain).handle(RECORD)
    marked = SourceRecord("orders", 0, 42, b"7", RECORD.value, [(h.REPAIR, b"audit")])
    Member(stop, repair).handle(marked)
    assert (plain.trusted_memory, repair.trusted_memory) == (True, False)


def test_halt_reasons_are_exported_per_reason(stop: threading.Event) -> None:
    m = Member(stop, FakeWriter([]))
    m.halts.engage(HaltReason.FORWARDING, "test")
    assert sample("woo_consumer_halted", reason="forwarding") == 1
    assert sample("woo_consumer_halted", reason="credentials") == 0
    m.halts.release(HaltReason.FORWARDING)
    assert sample("woo_consumer_halted", reason="forwarding") == 0


def test_a_broker_that_does_not_acknowledge_is_retried_with_growing_waits_not_a_spin(
    stop: threading.Event,
) -> None:
    """A timeout is no reason to halt the member, but each new try must wait longer."""
    timeouts = [PublishError("no acknowledgement within 30s") for _ in range(3)]
    forwarder = FakeForwarder(list(timeouts))
    m = Member(stop, FakeWriter([Transient("503")]), forwarder=forwarder)
    started = time.monotonic()
    assert m.handle() is True
    assert time.monotonic() - started >= 0.01 + 0.02 + 0.04  # the backoff, doubled each time
    assert [t for t, _ in forwarder.sent] == ["orders.retry.1"]
    assert not m.halts.halted  # a timeout heals by itself: no halt


def test_a_record_whose_partition_was_revoked_is_not_forwarded(stop: threading.Event) -> None:
    """A dead letter produced after the revoke would be a duplicate: the new owner processes it too."""
    m = Member(stop, FakeWriter([]))

    def revoke_then_reject() -> None:  # the partition moves on while the write is on its way
        m.leases.revoke([("orders", 0)])
        raise Rejected("bad", status=400)

    m.writer.script = [revoke_then_reject]
    assert m.handle() is False
    assert m.forwarder.sent == []


def test_a_dead_letter_halt_left_without_waiting_records_is_released(stop: threading.Event) -> None:
    """Its waiting records' partitions were revoked: nothing would ever test the halt again."""
    m = Member(
        stop, FakeWriter([Rejected("bad", status=400)] * 5), limit=DeadLetterLimit(ratio=0, consecutive=1)
    )
    threading.Timer(0.1, lambda: m.leases.revoke([("orders", 0)])).start()
    assert m.handle() is False  # given back
    assert not m.halts.halted  # and the halt with it


def test_a_schema_registry_that_does_not_answer_halts_the_member_until_it_does(stop: threading.Event) -> None:
    from schemas.serde import RegistryUnavailable

    class DownThenUp:
        def __init__(self) -> None:
            self.calls = 0

        def decode(self, data: bytes, topic: str) -> OrderEvent:
            self.calls += 1
            if self.calls == 1:
                raise RegistryUnavailable("ConnectError")
            return SERDE.decode(data, topic)

    m = Member(stop, FakeWriter([]))
    m.handler._serde = DownThenUp()  # type: ignore[assignment]
    m.registry_probe.up.clear()
    threading.Timer(0.1, m.registry_probe.up.set).start()
    assert m.handle() is True  # written once the registry answered
    assert m.forwarder.sent == []  # never dead-lettered as undecodable
    assert m.registry_probe.calls >= 1
    assert not m.halts.halted


def test_every_outcome_has_a_series_from_the_start() -> None:
    """A dashboard's rate() over an outcome needs its series before the first one happens."""
    from prometheus_client import REGISTRY

    from consumer.metrics import OUTCOME_NAMES
    from consumer.pipeline.outcome import Outcome

    assert {o.value for o in Outcome} <= set(OUTCOME_NAMES)
    for name in OUTCOME_NAMES:
        assert REGISTRY.get_sample_value("woo_consumer_outcomes_total", {"outcome": name}) is not None
