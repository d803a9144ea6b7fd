"""No secret and no personal data in the consumer's logs, metric labels or Kafka headers, on every path.

The design's invariant, checked over a run that takes the happy path, the in-process retries
(NetSuite 503s and 429s; the rare call that exhausts them goes through the retry topic), the
dead-letter topic (an unknown SKU), a NetSuite 400
(an email NetSuite refuses), a record that no longer decodes (its amount field holds an email: the
validation error used to quote it) and guest customers (whose external id is made from the email):
every log line, formatted the way production formats it, every metric sample and every header of
the retry and dead-letter topics are searched for each order's email, phone, street, city, postcode
and name, and for the token and consumer secrets.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import REGISTRY, generate_latest

from common.logs import JsonFormatter
from consumer.netsuite.external_ids import customer_external_id
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import Faults, NetSuiteSimulator
from schemas.avro_record import to_record
from schemas.order import WooOrder
from tests.conftest import Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    SERDE,
    consumer_settings,
    create_topics,
    event_for,
    produce,
    produce_raw,
    running_member,
    wait_until,
)
from tests.kafka_fixture import read_all


def personal_values(order: dict[str, Any]) -> set[str]:
    out = set()
    for kind in ("billing", "shipping"):
        address = order[kind]
        for key in ("email", "phone", "first_name", "last_name", "address_1", "city", "postcode"):
            if address.get(key):
                out.add(str(address[key]))
    return out


def test_no_secret_or_personal_data_in_logs_or_metric_labels(
    broker: Broker,
    sim: NetSuiteSimulator,
    unique_name: str,
    caplog: pytest.LogCaptureFixture,
    metric_delta: MetricDelta,
) -> None:
    env = sim.env()
    # three retry levels: a good order must not run out of them under 40% faults (one level would
    # dead-letter a few percent of the runs' good orders, legitimately, and fail this test)
    # the discount item is one NetSuite refuses (inactive): the one order with a coupon gets a 400
    settings = consumer_settings(
        broker.bootstrap,
        env,
        unique_name,
        retry_delays_seconds="0.2,0.4,0.8",
        netsuite_discount_item_id="107",
    )
    create_topics(settings)
    factory = OrderFactory(seed=21)
    orders = [factory.order(n, sku_override="NO-SUCH-SKU" if n == 7 else None) for n in range(1, 41)]
    # NetSuite's 400 → dead letter: a 1.00 coupon on the first line. A customer of its own, whose
    # email NetSuite would refuse (kept out of the email field, in the customer's comments).
    orders[11]["customer_id"] = 999_999
    orders[11]["billing"]["email"] = "zelda.no-at-sign.example.com"
    first = orders[11]["line_items"][0]
    first["subtotal"] = f"{Decimal(first['total']) + 1:.2f}"
    orders[11]["discount_total"] = "1.00"
    orders[11]["coupon_lines"] = [{"id": 1, "code": "zelda-10", "discount": "1.00", "discount_tax": "0.00"}]
    for guest in orders[20:24]:  # guests: their customer's external id is made from the email
        guest["customer_id"] = 0
    metric_delta.mark("woo_consumer_dead_lettered_total", error_class="Unmappable")
    metric_delta.mark("woo_consumer_dead_lettered_total", error_class="Rejected")
    metric_delta.mark("woo_consumer_dead_lettered_total", error_class="Undecodable")
    metric_delta.mark("woo_consumer_call_retries_total", error_class="Transient")
    sim.set_faults(Faults(error_rate=0.3, throttle_rate=0.1))
    caplog.set_level(logging.DEBUG, logger="consumer")
    caplog.set_level(logging.DEBUG, logger="common")
    caplog.set_level(logging.DEBUG, logger="schemas")
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])
    poison = to_record(event_for(orders[30]))
    poison["order"]["total"] = orders[30]["billing"]["email"]  # past the receiver, by an older release
    produce_raw(broker.bootstrap, settings.orders_topic, b"31", SERDE.encode_record(poison))

    with running_member(settings):
        wait_until(lambda: len(sim.records("salesOrder")) >= 38, 60, "the 38 good orders")
        wait_until(
            lambda: (
                metric_delta("woo_consumer_dead_lettered_total", error_class="Unmappable") >= 1
                and metric_delta("woo_consumer_dead_lettered_total", error_class="Rejected") >= 1
                and metric_delta("woo_consumer_dead_lettered_total", error_class="Undecodable") >= 1
            ),
            30,
            "the three bad orders dead-lettered",
        )

    assert metric_delta("woo_consumer_call_retries_total", error_class="Transient") >= 1
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records] + [caplog.text]
    topics = [settings.dead_letter_topic, *settings.retry_topics]
    forwarded = [m for t in topics for m in read_all(broker.bootstrap, t, 3, timeout_s=5)]
    headers = [
        f"{k}={(v or b'').decode('utf-8', 'replace')}" for m in forwarded for k, v in m.headers() or []
    ]
    assert any(
        "Undecodable" in line for line in headers
    )  # the headers were read: a check of nothing proves nothing
    text = "\n".join(lines + headers)
    samples = generate_latest(REGISTRY).decode()
    assert len(caplog.records) >= 40  # the run did log: an empty capture would prove nothing
    forbidden = {env["NETSUITE_CONSUMER_SECRET"], env["NETSUITE_TOKEN_SECRET"]}
    for order in orders:
        forbidden |= personal_values(order)
        if order["customer_id"] == 0:
            forbidden.add(customer_external_id(WooOrder.model_validate(order)))
    leaks = sorted(v for v in forbidden if v in text or v in samples)
    assert leaks == []
