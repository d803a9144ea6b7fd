"""With SCHEMA_REGISTRY_URL set, a webhook travels in Confluent's wire format and still lands in NetSuite.

Receiver and consumer run in this process against the library's in-memory `mock://` registry (one
per URL per process, as a real registry is one for every process): the receiver registers the
schema and frames the record (magic byte 0 + schema id); the consumer reads the schema id back.
"""

from __future__ import annotations

from devstack.netsuite_sim import NetSuiteSimulator
from receiver.app import create_app
from receiver.publisher import KafkaPublisher, producer_config
from receiver.settings import load_settings
from receiver.testing import SAMPLE_SECRET, sample_body, signed_headers
from tests.conftest import Broker
from tests.integration.pipeline_harness import consumer_settings, create_topics, running_member, wait_until
from tests.kafka_fixture import read_all


def test_a_webhook_in_confluent_wire_format_is_written_to_netsuite(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    registry = f"mock://{unique_name}"
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, schema_registry_url=registry)
    create_topics(settings)
    receiver = load_settings(
        woocommerce_webhook_secret=SAMPLE_SECRET,
        kafka_bootstrap_servers=broker.bootstrap,
        orders_topic=settings.orders_topic,
        schema_registry_url=registry,
    )
    publisher = KafkaPublisher(producer_config(receiver))
    try:
        body = sample_body()
        answer = (
            create_app(receiver, publisher)
            .test_client()
            .post("/webhook/woocommerce/order-created", data=body, headers=signed_headers(body))
        )
        assert answer.status_code == 200
    finally:
        publisher.close(5)

    (record,) = read_all(broker.bootstrap, settings.orders_topic, 3)
    assert record.value()[:1] == b"\x00"  # Confluent framing, not Avro single-object (C3 01)
    with running_member(settings):
        wait_until(lambda: sim.records("salesOrder"), 30, "the sales order")
    (order,) = sim.records("salesOrder")
    assert order["externalId"] == "WOO_ORDER_4711"
