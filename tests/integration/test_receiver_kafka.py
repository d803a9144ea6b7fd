"""The receiver against a real broker: signed samples land on the topic and decode back."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from confluent_kafka import Consumer, TopicPartition
from flask.testing import FlaskClient

from common import headers as h
from receiver.app import create_app
from receiver.intake import parse_order
from receiver.publisher import KafkaPublisher, PublishError, producer_config
from receiver.settings import ReceiverSettings, load_settings
from receiver.testing import SAMPLE_SECRET, order_body, sample_body, signed_headers
from schemas.avro_record import to_record
from schemas.order import OrderEvent
from schemas.serde import make_serde
from tests.conftest import Broker
from tests.kafka_fixture import create_topic, read_all

pytestmark = pytest.mark.integration
PARTITIONS = 3


def end_offsets(bootstrap: str, topic: str) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "offsets-only"})
    try:
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), 10)[1] for p in range(PARTITIONS))
    finally:
        consumer.close()


@pytest.fixture
def settings(broker: Broker, unique_name: str) -> ReceiverSettings:
    create_topic(broker.bootstrap, unique_name)
    return load_settings(
        woocommerce_webhook_secret=SAMPLE_SECRET,
        kafka_bootstrap_servers=broker.bootstrap,
        orders_topic=unique_name,
        receiver_produce_timeout_s=10,
    )


@pytest.fixture
def client(settings: ReceiverSettings) -> Iterator[FlaskClient]:
    publisher = KafkaPublisher(producer_config(settings))
    try:
        yield create_app(settings, publisher).test_client()
    finally:
        assert publisher.close(5) == 0


@pytest.mark.parametrize("sample", ["woo_order_created_body.json", "woo_order_v3_docs_example.json"])
def test_signed_sample_lands_on_the_topic_and_decodes_back(
    client: FlaskClient, settings: ReceiverSettings, broker: Broker, sample: str
) -> None:
    body = sample_body(sample)
    response = client.post("/webhook/woocommerce/order-created", data=body, headers=signed_headers(body))
    assert response.status_code == 200
    order = parse_order(body)
    assert response.json == {"status": "accepted", "order_id": order.id}

    [msg] = read_all(broker.bootstrap, settings.orders_topic, PARTITIONS)
    assert msg.key() == str(order.id).encode()  # type: ignore[attr-defined]
    event = make_serde(None).decode(msg.value(), settings.orders_topic)  # type: ignore[attr-defined]
    expected = to_record(OrderEvent(order=order, raw_body=body))
    got = to_record(event)
    assert got["order"] == expected["order"]
    assert got["raw_body"] == body
    assert (got["webhook_topic"], got["webhook_id"], got["source"]) == (
        "order.created",
        "12",
        "https://shop.example.com/",
    )
    assert got["delivery_id"] == "7d5c0c2b9a6e4f1a8b3c2d1e0f9a8b7c"
    assert got["received_at_ms"] > 1_700_000_000_000
    headers = h.header_map(msg.headers())  # type: ignore[attr-defined]
    assert headers == {
        h.WEBHOOK_TOPIC: "order.created",
        h.WEBHOOK_ID: "12",
        h.WEBHOOK_DELIVERY_ID: "7d5c0c2b9a6e4f1a8b3c2d1e0f9a8b7c",
        h.WEBHOOK_SOURCE: "https://shop.example.com/",
    }


def test_created_and_updated_of_one_order_share_key_and_partition(
    client: FlaskClient, settings: ReceiverSettings, broker: Broker
) -> None:
    # Two versions of one order (an identical body would be a replay: not published twice).
    versions = {"order.created": sample_body(), "order.updated": order_body(modified="2025-03-14T10:00:00")}
    for path, topic in (("order-created", "order.created"), ("order-updated", "order.updated")):
        body = versions[topic]
        response = client.post(
            f"/webhook/woocommerce/{path}", data=body, headers=signed_headers(body, topic=topic)
        )
        assert response.status_code == 200
    ping = client.post("/webhook/woocommerce/order-created", data=b"webhook_id=3")
    assert ping.status_code == 200
    unsigned = client.post("/webhook/woocommerce/order-created", data=body)
    assert unsigned.status_code == 401

    # Every 200 above came after the broker's acknowledgement: the end offsets are final already.
    assert end_offsets(broker.bootstrap, settings.orders_topic) == 2  # nothing from ping or unsigned
    messages = read_all(broker.bootstrap, settings.orders_topic, PARTITIONS)
    assert {m.key() for m in messages} == {b"4711"}  # type: ignore[attr-defined]
    assert len({m.partition() for m in messages}) == 1  # type: ignore[attr-defined]
    topics = [h.header_map(m.headers())[h.WEBHOOK_TOPIC] for m in messages]  # type: ignore[attr-defined]
    assert topics == ["order.created", "order.updated"]


def test_ready_with_a_broker_and_not_without(client: FlaskClient, settings: ReceiverSettings) -> None:
    assert client.get("/readyz").status_code == 200
    from devstack.broker import free_port

    dead = settings.model_copy(
        update={"kafka_bootstrap_servers": f"127.0.0.1:{free_port()}", "receiver_ready_timeout_s": 0.5}
    )
    publisher = KafkaPublisher(producer_config(dead))
    try:
        assert create_app(dead, publisher).test_client().get("/readyz").status_code == 503
    finally:
        publisher.close(0)


def test_a_closed_publisher_refuses_instead_of_crashing(settings: ReceiverSettings) -> None:
    """After close (shutdown, or a replaced producer) a late request gets a PublishError (503), not a 500."""
    publisher = KafkaPublisher(producer_config(settings))
    delivery = publisher.publish(settings.orders_topic, b"1", b"v", [], timeout_s=10)
    assert delivery.offset >= 0
    assert publisher.close(5) == 0
    with pytest.raises(PublishError, match="closed"):
        publisher.publish(settings.orders_topic, b"2", b"v", [], timeout_s=1)
    assert publisher.ready(0.5) is False
    assert publisher.close(5) == 0  # a second close is a no-op


def test_an_order_near_the_body_limit_is_accepted(
    client: FlaskClient, settings: ReceiverSettings, broker: Broker
) -> None:
    """The Avro value carries the raw body and the parsed order: about twice the body, before lz4."""
    order = json.loads(sample_body())
    line = order["line_items"][0]
    order["line_items"] = [dict(line, id=n, sku=f"SKU-{n:05d}") for n in range(1, 1900)]
    body = json.dumps(order, separators=(",", ":")).encode()
    assert 800_000 < len(body) <= settings.receiver_max_body_bytes
    response = client.post("/webhook/woocommerce/order-created", data=body, headers=signed_headers(body))
    assert response.status_code == 200, response.json
    [msg] = read_all(broker.bootstrap, settings.orders_topic, PARTITIONS)
    assert make_serde(None).decode(msg.value(), settings.orders_topic).raw_body == body  # type: ignore[attr-defined]
