"""The webhook endpoint's decisions with a recording fake publisher (no broker)."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
from flask.testing import FlaskClient

from common import headers as h
from receiver.app import create_app
from receiver.intake import parse_order
from receiver.metrics import ReceiverMetrics
from receiver.settings import ReceiverSettings, load_settings
from receiver.testing import SAMPLE_SECRET, FakePublisher, sample_body, signed_headers
from schemas.serde import SingleObjectSerde

CREATED = "/webhook/woocommerce/order-created"
UPDATED = "/webhook/woocommerce/order-updated"


@pytest.fixture
def settings() -> ReceiverSettings:
    return load_settings(woocommerce_webhook_secret=SAMPLE_SECRET, orders_topic="orders-test")


@pytest.fixture
def publisher() -> FakePublisher:
    return FakePublisher()


@pytest.fixture
def metrics() -> ReceiverMetrics:
    return ReceiverMetrics()


@pytest.fixture
def client(settings: ReceiverSettings, publisher: FakePublisher, metrics: ReceiverMetrics) -> FlaskClient:
    return create_app(settings, publisher, metrics=metrics).test_client()


def count(metrics: ReceiverMetrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value("woo_receiver_requests_total", {"outcome": outcome})
    return value or 0.0


def test_signed_sample_is_published_with_key_headers_and_raw_body(
    client: FlaskClient, publisher: FakePublisher, metrics: ReceiverMetrics
) -> None:
    body = sample_body()
    response = client.post(CREATED, data=body, headers=signed_headers(body))
    assert response.status_code == 200
    assert response.json == {"status": "accepted", "order_id": 4711}
    [(topic, key, value, headers)] = publisher.calls
    assert (topic, key) == ("orders-test", b"4711")
    assert dict(headers) == {
        h.WEBHOOK_TOPIC: b"order.created",
        h.WEBHOOK_ID: b"12",
        h.WEBHOOK_DELIVERY_ID: b"7d5c0c2b9a6e4f1a8b3c2d1e0f9a8b7c",
        h.WEBHOOK_SOURCE: b"https://shop.example.com/",
    }
    event = SingleObjectSerde().decode(value)
    assert event.raw_body == body
    assert (event.order.id, event.webhook_topic, event.webhook_id) == (4711, "order.created", "12")
    assert parse_order(event.raw_body).model_extra == parse_order(body).model_extra  # unknown fields kept
    assert parse_order(body).model_extra
    assert "customer_ip_address" in parse_order(body).model_extra
    assert count(metrics, "accepted") == 1
    assert metrics.registry.get_sample_value("woo_receiver_produce_latency_seconds_count") == 1
    assert metrics.registry.get_sample_value("woo_receiver_payload_bytes_sum") == len(body)
    assert metrics.registry.get_sample_value("woo_receiver_in_flight_requests") == 0
    stamp = metrics.registry.get_sample_value(
        "woo_receiver_last_delivery_timestamp_seconds", {"webhook_id": "12"}
    )
    assert stamp is not None
    assert abs(stamp - time.time()) < 60


def test_the_last_delivery_time_is_kept_per_webhook_id_for_verified_deliveries_only(
    client: FlaskClient, metrics: ReceiverMetrics
) -> None:
    body = sample_body()
    unsigned = {**signed_headers(body), "X-WC-Webhook-Signature": "nope", "X-WC-Webhook-ID": "99"}
    assert client.post(CREATED, data=body, headers=unsigned).status_code == 401
    odd = {**signed_headers(body), "X-WC-Webhook-ID": "12; drop table"}
    assert client.post(CREATED, data=body, headers=odd).status_code == 200
    samples = {
        s.labels["webhook_id"]
        for family in metrics.registry.collect()
        for s in family.samples
        if s.name == "woo_receiver_last_delivery_timestamp_seconds"
    }
    assert samples == {"other"}  # the unsigned one set nothing; a non-numeric id is not a label


@pytest.mark.parametrize(
    ("path", "topic_header", "expected_topic"),
    [
        (CREATED, "order.updated", "order.updated"),
        (UPDATED, "order.updated", "order.updated"),
        (UPDATED, None, "order.updated"),
        (CREATED, None, "order.created"),
        (CREATED, "Order.Updated", "order.updated"),
    ],
)
def test_updates_reach_the_same_topic_with_their_webhook_topic(
    client: FlaskClient, publisher: FakePublisher, path: str, topic_header: str | None, expected_topic: str
) -> None:
    body = sample_body()
    headers = signed_headers(body)
    if topic_header is None:
        del headers["X-WC-Webhook-Topic"]
    else:
        headers["X-WC-Webhook-Topic"] = topic_header
    assert client.post(path, data=body, headers=headers).status_code == 200
    [(topic, _, value, kafka_headers)] = publisher.calls
    assert topic == "orders-test"
    assert dict(kafka_headers)[h.WEBHOOK_TOPIC] == expected_topic.encode()
    assert SingleObjectSerde().decode(value).webhook_topic == expected_topic


@pytest.mark.parametrize("topic", ["order.deleted", "order.restored", "product.created", "action.wc_foo"])
def test_other_topics_are_answered_200_and_not_published(
    client: FlaskClient, publisher: FakePublisher, metrics: ReceiverMetrics, topic: str
) -> None:
    body = b'{"id":4711}'
    response = client.post(CREATED, data=body, headers=signed_headers(body, topic=topic))
    assert response.status_code == 200
    assert response.json == {"status": "ignored", "topic": topic}
    assert publisher.calls == []
    assert count(metrics, "ignored") == 1


def test_unsigned_other_topic_is_still_unauthorized(client: FlaskClient, publisher: FakePublisher) -> None:
    response = client.post(CREATED, data=b'{"id":1}', headers={"X-WC-Webhook-Topic": "order.deleted"})
    assert response.status_code == 401
    assert publisher.calls == []


@pytest.mark.parametrize("body", [b"webhook_id=12", b"webhook_id=1\n"])
def test_ping_gets_exactly_200_and_publishes_nothing(
    client: FlaskClient, publisher: FakePublisher, metrics: ReceiverMetrics, body: bytes
) -> None:
    response = client.post(CREATED, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert publisher.calls == []
    assert count(metrics, "ping") == 1


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b'{"id":4711}', {}),
        (b"webhook_id=12&x=1", {}),  # not a ping
        (b"webhook_id=12", {"X-WC-Webhook-Signature": "bogus"}),  # signed pings do not exist
        (sample_body(), {"X-WC-Webhook-Signature": "qSzaPwVm8pOjt36uLfOPV+9J9/WGxZwB3nN1BB0Cak"}),
    ],
)
def test_unsigned_or_badly_signed_is_401(
    client: FlaskClient,
    publisher: FakePublisher,
    metrics: ReceiverMetrics,
    body: bytes,
    headers: dict[str, str],
) -> None:
    response = client.post(CREATED, data=body, headers=headers)
    assert response.status_code == 401
    assert response.json is not None
    assert response.json["error"] == "unauthorized"
    assert publisher.calls == []
    assert count(metrics, "unauthorized") == 1


def test_signed_with_wrong_secret_is_401(client: FlaskClient, publisher: FakePublisher) -> None:
    body = sample_body()
    response = client.post(CREATED, data=body, headers=signed_headers(body, stored_secret="other"))
    assert response.status_code == 401
    assert publisher.calls == []


def order_body(drop: str = "", **changes: object) -> bytes:
    """The smallest order a webhook may deliver (`WebhookOrder`), with changes."""
    order: dict[str, object] = {
        "id": 7,
        "status": "processing",
        "currency": "EUR",
        "total": "1.00",
        "date_created_gmt": "2026-11-26T10:00:00",
        "date_modified_gmt": None,
        "billing": {},
        "line_items": [],
        **changes,
    }
    order.pop(drop, None)
    return json.dumps(order).encode()


def test_the_smallest_order_a_webhook_may_deliver_is_accepted(
    client: FlaskClient, publisher: FakePublisher
) -> None:
    body = order_body()
    assert client.post(CREATED, data=body, headers=signed_headers(body)).status_code == 200
    assert len(publisher.calls) == 1


@pytest.mark.parametrize(
    ("body", "reason_part"),
    [
        (b"not json", "Invalid JSON"),
        (b"[1,2]", "object"),
        (b"{}", "id"),
        (b'{"id":"4711"}', "id"),
        (b'{"id":0}', "id"),
        (b'{"id":1.5}', "id"),
        (order_body(total=12.5), "total"),
        (order_body(line_items={"a": 1}), "line_items"),
        (order_body(billing="x"), "billing"),
        (b'{"id":99999999999999999999999}', "id"),  # valid JSON int, too big for Avro's long
        (order_body(line_items=[{"product_id": 2**63}]), "line_items.0.product_id"),
        (b'{"id":5}', "status: Field required"),  # an order without the fields the mapping reads
        (order_body(drop="line_items"), "line_items: Field required"),
        (order_body(drop="date_modified_gmt"), "date_modified_gmt: Field required"),
        (b"\xff\xfe", "JSON"),
        # once published, these raised in the consumer's mapping and crash-looped the group
        (order_body(total="1" * 27 + ".00"), "total: Value error, amount out of range"),
        (order_body(date_created_gmt="2025-03-14T24:00:00"), "date_created_gmt: Value error, not a real"),
        (order_body(date_modified_gmt="2025-13-01T10:00:00"), "date_modified_gmt: Value error, not a real"),
    ],
)
def test_signed_non_orders_are_400_with_a_reason(
    client: FlaskClient,
    publisher: FakePublisher,
    metrics: ReceiverMetrics,
    body: bytes,
    reason_part: str,
) -> None:
    response = client.post(CREATED, data=body, headers=signed_headers(body))
    assert response.status_code == 400
    assert response.json is not None
    assert reason_part in response.json["reason"]
    assert publisher.calls == []
    assert count(metrics, "invalid") == 1


def test_body_over_limit_is_413_by_content_length_without_publishing(
    settings: ReceiverSettings, publisher: FakePublisher, metrics: ReceiverMetrics
) -> None:
    client = create_app(
        settings.model_copy(update={"receiver_max_body_bytes": 2048}), publisher, metrics=metrics
    )
    body = b'{"id":1,"x":"' + b"a" * 4096 + b'"}'
    response = client.test_client().post(CREATED, data=body, headers=signed_headers(body))
    assert response.status_code == 413
    assert response.headers["Connection"] == "close"
    assert publisher.calls == []
    assert count(metrics, "too_large") == 1


def test_chunked_body_over_limit_is_413(
    settings: ReceiverSettings, publisher: FakePublisher, metrics: ReceiverMetrics
) -> None:
    app = create_app(
        settings.model_copy(update={"receiver_max_body_bytes": 2048}), publisher, metrics=metrics
    )
    body = b'{"id":1,"x":"' + b"a" * 4096 + b'"}'
    environ = {"wsgi.input_terminated": True}  # what gunicorn sets for chunked requests
    response = app.test_client().post(
        CREATED,
        input_stream=io.BytesIO(body),
        headers={**signed_headers(body), "Transfer-Encoding": "chunked"},
        environ_overrides=environ,
    )
    assert response.status_code == 413
    assert publisher.calls == []
    assert count(metrics, "too_large") == 1


def test_body_at_the_limit_is_accepted(settings: ReceiverSettings, publisher: FakePublisher) -> None:
    body = sample_body()
    app = create_app(settings.model_copy(update={"receiver_max_body_bytes": len(body)}), publisher)
    assert app.test_client().post(CREATED, data=body, headers=signed_headers(body)).status_code == 200


def test_broker_failure_is_503_and_counted(settings: ReceiverSettings, metrics: ReceiverMetrics) -> None:
    client = create_app(settings, FakePublisher(fail="no acknowledgement within 10s"), metrics=metrics)
    body = sample_body()
    response = client.test_client().post(CREATED, data=body, headers=signed_headers(body))
    assert response.status_code == 503
    assert response.json == {"error": "unavailable", "reason": "no acknowledgement within 10s"}
    assert count(metrics, "unavailable") == 1
    assert metrics.registry.get_sample_value("woo_receiver_in_flight_requests") == 0
    # a verified delivery, even one the broker did not take, counts as delivered by WooCommerce
    stamp = metrics.registry.get_sample_value(
        "woo_receiver_last_delivery_timestamp_seconds", {"webhook_id": "12"}
    )
    assert stamp is not None


def test_health_ready_and_metrics(settings: ReceiverSettings, publisher: FakePublisher) -> None:
    client = create_app(settings, publisher).test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    publisher.is_ready = False
    assert client.get("/readyz").status_code == 200  # cached for RECEIVER_READY_CACHE_S
    assert publisher.ready_calls == 1
    metrics_text = client.get("/metrics").get_data(as_text=True)
    for name in (
        "woo_receiver_requests_total",
        "woo_receiver_produce_latency_seconds",
        "woo_receiver_in_flight_requests",
        "woo_receiver_payload_bytes",
    ):
        assert name in metrics_text


def test_not_ready_when_the_broker_does_not_answer(settings: ReceiverSettings) -> None:
    client = create_app(settings, FakePublisher(ready=False)).test_client()
    assert client.get("/readyz").status_code == 503


def test_unknown_paths_and_methods_are_short_json(client: FlaskClient) -> None:
    assert client.get(CREATED).status_code == 405
    response = client.post("/webhook/woocommerce/order-deleted", data=b"{}")
    assert response.status_code == 404
    assert response.json == {"error": "not_found"}


def test_log_lines_are_json_without_personal_data_or_signature(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    from common.logs import JsonFormatter

    body = sample_body()
    bad = body.replace(b'"id":4711', b'"id":"4711"')
    with caplog.at_level(logging.INFO, logger="receiver"):
        client.post(CREATED, data=body, headers=signed_headers(body))
        client.post(CREATED, data=bad, headers=signed_headers(bad))
        client.post(CREATED, data=body, headers={"X-WC-Webhook-Signature": "forged"})
    lines = [JsonFormatter().format(r) for r in caplog.records if r.name == "receiver.access"]
    assert len(lines) == 3
    parsed = [json.loads(line) for line in lines]
    assert [p["outcome"] for p in parsed] == ["accepted", "invalid", "unauthorized"]
    assert parsed[0]["order_id"] == 4711
    assert parsed[0]["latency_ms"] >= 0
    text = "\n".join(lines)
    signature = signed_headers(body)["X-WC-Webhook-Signature"]
    for secret in ("j.mueller@example.com", "Hauptstra", "+49 221", signature, "forged", "wc_test_s3cret"):
        assert secret not in text


def test_chunked_body_within_limit_is_accepted(settings: ReceiverSettings, publisher: FakePublisher) -> None:
    body = sample_body()
    response = (
        create_app(settings, publisher)
        .test_client()
        .post(
            CREATED,
            input_stream=io.BytesIO(body),
            headers={**signed_headers(body), "Transfer-Encoding": "chunked"},
            environ_overrides={"wsgi.input_terminated": True},
        )
    )
    assert response.status_code == 200
    assert SingleObjectSerde().decode(publisher.calls[0][2]).raw_body == body


@pytest.mark.parametrize(("size", "drained"), [(4096, True), (4 * 2048 + 1, False)])
def test_a_refused_body_is_drained_up_to_four_times_the_limit(
    settings: ReceiverSettings, publisher: FakePublisher, size: int, drained: bool
) -> None:
    """Read and dropped, the body cannot turn the close into a reset that hides the 413; past the
    bound it is left unread (a sender of such a body may see the reset)."""
    app = create_app(settings.model_copy(update={"receiver_max_body_bytes": 2048}), publisher)
    body = b"a" * size
    stream = io.BytesIO(body)
    response = app.test_client().post(
        CREATED, input_stream=stream, content_length=size, headers=signed_headers(body)
    )
    assert response.status_code == 413
    assert (stream.tell() == size) is drained
    assert publisher.calls == []


def test_verified_deliveries_are_counted_by_webhook_topic(
    client: FlaskClient, metrics: ReceiverMetrics
) -> None:
    """A missing "Order updated" webhook shows as a topic that stays at zero (deploy/README.md)."""

    def delivered(topic: str) -> float:
        value = metrics.registry.get_sample_value("woo_receiver_deliveries_total", {"topic": topic})
        return value or 0.0

    assert delivered("order.updated") == 0  # the series exists from the start
    body = order_body()
    client.post(CREATED, data=body, headers=signed_headers(body))
    updated = order_body(status="completed")
    client.post(UPDATED, data=updated, headers=signed_headers(updated, topic="order.updated"))
    client.post(CREATED, data=b"{}", headers=signed_headers(b"{}", topic="product.updated"))
    client.post(CREATED, data=body, headers={"X-WC-Webhook-Signature": "forged"})
    assert (delivered("order.created"), delivered("order.updated"), delivered("other")) == (1, 1, 1)
