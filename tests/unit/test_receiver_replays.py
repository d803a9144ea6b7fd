"""The door's replay filter: a captured delivery sent again is answered 200 and not published again,
within a bounded window and memory; what was not acknowledged by the broker is not remembered."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from receiver.app import create_app
from receiver.metrics import ReceiverMetrics
from receiver.replays import ReplayFilter
from receiver.settings import load_settings
from receiver.testing import SAMPLE_SECRET, FakePublisher, order_body, sample_body, signed_headers

CREATED = "/webhook/woocommerce/order-created"
UPDATED = "/webhook/woocommerce/order-updated"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(publisher: FakePublisher, **settings: object) -> tuple[FlaskClient, ReceiverMetrics]:
    loaded = load_settings(woocommerce_webhook_secret=SAMPLE_SECRET, orders_topic="t", **settings)
    metrics = ReceiverMetrics()
    return create_app(loaded, publisher, metrics=metrics).test_client(), metrics


def count(metrics: ReceiverMetrics, outcome: str) -> float:
    return metrics.registry.get_sample_value("woo_receiver_requests_total", {"outcome": outcome}) or 0.0


def test_a_replayed_delivery_is_200_and_not_published_again() -> None:
    publisher = FakePublisher()
    client, metrics = make(publisher)
    body = sample_body()
    first = client.post(CREATED, data=body, headers=signed_headers(body))
    assert first.json == {"status": "accepted", "order_id": 4711}
    for _ in range(5):
        again = client.post(CREATED, data=body, headers=signed_headers(body))
        assert again.status_code == 200
        assert again.json == {"status": "duplicate", "order_id": 4711}
    assert len(publisher.calls) == 1
    assert (count(metrics, "accepted"), count(metrics, "duplicate")) == (1, 5)


def test_unsigned_parts_do_not_make_a_replay_new() -> None:
    """The topic header and the path are not signed: changing them does not get a body published again."""
    publisher = FakePublisher()
    client, _ = make(publisher)
    body = sample_body()
    assert client.post(CREATED, data=body, headers=signed_headers(body)).json["status"] == "accepted"
    headers = {**signed_headers(body, topic="order.updated"), "X-WC-Webhook-Delivery-ID": "other"}
    assert client.post(UPDATED, data=body, headers=headers).json["status"] == "duplicate"
    assert len(publisher.calls) == 1


def test_a_new_version_of_the_order_is_published() -> None:
    publisher = FakePublisher()
    client, _ = make(publisher)
    for body in (sample_body(), order_body(modified="2025-03-14T09:20:00"), order_body(4712)):
        assert client.post(CREATED, data=body, headers=signed_headers(body)).json["status"] == "accepted"
    assert len(publisher.calls) == 3


def test_a_delivery_the_broker_did_not_acknowledge_is_published_when_sent_again() -> None:
    publisher = FakePublisher(fail="broker down")
    client, _ = make(publisher)
    body = sample_body()
    assert client.post(CREATED, data=body, headers=signed_headers(body)).status_code == 503
    publisher.fail = None
    assert client.post(CREATED, data=body, headers=signed_headers(body)).json["status"] == "accepted"
    assert len(publisher.calls) == 1


def test_a_refused_body_is_never_remembered() -> None:
    publisher = FakePublisher()
    client, _ = make(publisher)
    body = sample_body()
    bad = signed_headers(body, stored_secret="some-other-secret-entirely")
    assert client.post(CREATED, data=body, headers=bad).status_code == 401
    assert client.post(CREATED, data=body, headers=signed_headers(body)).json["status"] == "accepted"


def test_capacity_zero_turns_the_filter_off() -> None:
    publisher = FakePublisher()
    client, _ = make(publisher, receiver_replay_capacity=0)
    body = sample_body()
    for _ in range(3):
        assert client.post(CREATED, data=body, headers=signed_headers(body)).json["status"] == "accepted"
    assert len(publisher.calls) == 3


def test_the_window_ends_and_is_not_extended_by_replays() -> None:
    clock = Clock()
    replays = ReplayFilter(capacity=10, window_s=60, clock=clock)
    replays.remember(b"sig-a", 1)
    clock.now += 59
    assert replays.seen(b"sig-a") == 1  # a replay inside the window ...
    clock.now += 1
    assert replays.seen(b"sig-a") is None  # ... does not extend it
    assert len(replays) == 0


def test_memory_is_bounded_and_the_oldest_go_first() -> None:
    clock = Clock()
    replays = ReplayFilter(capacity=3, window_s=60, clock=clock)
    for n in range(5):
        replays.remember(b"sig-%d" % n, n)
        clock.now += 1
    assert len(replays) == 3
    assert [replays.seen(b"sig-%d" % n) for n in range(5)] == [None, None, 2, 3, 4]


def test_expired_entries_are_dropped_when_new_ones_arrive() -> None:
    clock = Clock()
    replays = ReplayFilter(capacity=100, window_s=10, clock=clock)
    for n in range(5):
        replays.remember(b"old-%d" % n, n)
    clock.now += 11
    replays.remember(b"new", 9)
    assert len(replays) == 1


@pytest.mark.parametrize(("capacity", "window_s"), [(0, 60.0), (10, 0.0)])
def test_a_zero_bound_remembers_nothing(capacity: int, window_s: float) -> None:
    replays = ReplayFilter(capacity=capacity, window_s=window_s)
    replays.remember(b"sig", 1)
    assert replays.seen(b"sig") is None
    assert len(replays) == 0
