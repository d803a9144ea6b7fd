"""`RecordHandler`: one record to its durable outcome, with fakes for NetSuite and the producer.

The routes that matter most to an operator: a retryable failure goes to the next topic, a
permanent one to the dead letter, and an `AuthFailure` — a 401, or a 403 even after the
credential probe passed — never goes anywhere: the record waits until NetSuite accepts it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY

from consumer.errors import AuthFailure, Rejected, SyncError, Transient
from consumer.pipeline.forward import SourceRecord
from consumer.pipeline.halt import AuthHalt
from consumer.pipeline.handle import RecordHandler
from consumer.pipeline.route import Forward, RetryPolicy
from consumer.pipeline.sync import Outcome
from schemas.order import OrderEvent, WooOrder
from schemas.serde import SingleObjectSerde

SERDE = SingleObjectSerde()
EVENT = OrderEvent(order=WooOrder.model_validate({"id": 7, "status": "processing"}), received_at_ms=1)
RECORD = SourceRecord("orders", 0, 41, b"7", SERDE.encode(EVENT), [])


class FakeWriter:
    """Raises the scripted errors in turn, then writes."""

    def __init__(self, errors: list[SyncError]) -> None:
        self.errors = errors
        self.attempts = 0
        self.parked_ids: list[int] = []

    def write(
        self, event: OrderEvent, *, from_retry: bool, proceed: Callable[[], bool] | None = None
    ) -> Outcome:
        self.attempts += 1
        if self.errors:
            raise self.errors.pop(0)
        return Outcome.WRITTEN

    def parked(self, event: OrderEvent) -> None:
        self.parked_ids.append(event.order.id)


class FakeForwarder:
    def __init__(self) -> None:
        self.routes: list[tuple[str, str]] = []

    def forward(self, record: SourceRecord, route: Forward, error: Exception) -> None:
        self.routes.append((route.topic, type(error).__name__))


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()  # ends any prober thread


def handler(
    writer: FakeWriter, forwarder: FakeForwarder, stop: threading.Event, waits: list[float]
) -> RecordHandler:
    halt = AuthHalt(lambda: None, first_interval_s=0.01, max_interval_s=8.0, stop=stop)

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return stop.is_set()

    policy = RetryPolicy("orders", [5, 30])
    return RecordHandler(SERDE, writer, policy, forwarder, halt, stop, wait=wait)  # type: ignore[arg-type]


def test_a_transient_failure_goes_to_the_first_retry_topic(stop: threading.Event) -> None:
    writer, forwarder, waits = FakeWriter([Transient("503")]), FakeForwarder(), []
    assert handler(writer, forwarder, stop, waits).handle(RECORD) is True
    assert forwarder.routes == [("orders.retry.1", "Transient")]
    assert writer.parked_ids == [7]  # an older copy behind it on the main topic is stale now


def test_a_rejected_record_is_dead_lettered(stop: threading.Event) -> None:
    writer, forwarder, waits = FakeWriter([Rejected("bad field", status=400)]), FakeForwarder(), []
    assert handler(writer, forwarder, stop, waits).handle(RECORD) is True
    assert forwarder.routes == [("orders.dlq", "Rejected")]


def test_a_401_waits_for_the_probe_then_writes_the_same_record(stop: threading.Event) -> None:
    writer, forwarder, waits = FakeWriter([AuthFailure("no", status=401)]), FakeForwarder(), []
    assert handler(writer, forwarder, stop, waits).handle(RECORD) is True
    assert forwarder.routes == []
    assert writer.attempts == 2


def test_a_403_after_a_good_probe_is_held_with_backoff_never_dead_lettered(stop: threading.Event) -> None:
    refusals: list[SyncError] = [AuthFailure("no", status=403, error_code="INSUFFICIENT_PERMISSION")] * 6
    writer, forwarder, waits = FakeWriter(list(refusals)), FakeForwarder(), []
    assert handler(writer, forwarder, stop, waits).handle(RECORD) is True
    assert forwarder.routes == []  # no retry topic, no dead letter
    assert writer.attempts == 7  # the role was fixed before the seventh attempt
    assert waits == [0.01, 0.02, 0.04, 0.08, 0.16]  # first refusal halted; then held, doubling


def test_a_stop_while_held_gives_the_record_back(stop: threading.Event) -> None:
    refusals: list[Any] = [AuthFailure("no", status=403)] * 10
    writer, forwarder, waits = FakeWriter(refusals), FakeForwarder(), []
    h = handler(writer, forwarder, stop, waits)
    stop_after_two = iter([False, True])
    h._wait = lambda seconds: next(stop_after_two)
    assert h.handle(RECORD) is False  # uncommitted: consumed again after the restart
    assert forwarder.routes == []
    assert writer.attempts == 3


def settled() -> float:
    return REGISTRY.get_sample_value("woo_consumer_retry_settled_total") or 0.0


def test_records_leaving_the_retry_topics_are_counted_as_settled(stop: threading.Event) -> None:
    """`retried - settled` is what waits in the retry topics (make run's "retrying")."""
    from_retry = SourceRecord("orders.retry.1", 0, 3, b"7", RECORD.value, [])
    before = settled()
    handler(FakeWriter([]), FakeForwarder(), stop, []).handle(RECORD)  # main topic: not a retry
    assert settled() == before
    handler(FakeWriter([]), FakeForwarder(), stop, []).handle(from_retry)  # written
    handler(FakeWriter([Transient("503")]), FakeForwarder(), stop, []).handle(from_retry)  # handed on
    assert settled() == before + 2


class OpenHalt:
    """A halt whose probe has already succeeded (the token works), with a long first hold."""

    first_interval_s, max_interval_s = 2.5, 60.0

    def trip(self, error: SyncError) -> None: ...

    def wait(self) -> bool:
        return True


def test_a_revoke_during_a_hold_gives_the_record_back_within_a_slice(stop: threading.Event) -> None:
    writer, forwarder, waits = FakeWriter([AuthFailure("no", status=403)] * 3), FakeForwarder(), []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return False

    h = RecordHandler(SERDE, writer, RetryPolicy("orders", [5]), forwarder, OpenHalt(), stop, wait=wait)  # type: ignore[arg-type]
    assert h.handle(RECORD, owned=lambda: len(waits) < 2) is False  # revoked during the 2nd slice
    assert waits == [2.5 / 3, 2.5 / 3]  # the 2.5 s hold in slices; given back after the second
    assert forwarder.routes == []
