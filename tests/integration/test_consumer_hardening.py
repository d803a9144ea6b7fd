"""The hardening scenarios end to end (real broker, real simulator, in-process members).

Each plays a way the README's promises broke before: an outage longer than the whole retry chain,
poison records among good ones, and an older order's update reverting its customer.
"""

from __future__ import annotations

import json
import time
from typing import Any

from common import headers as h
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import Faults, NetSuiteSimulator
from schemas.avro_record import to_record
from tests.conftest import Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    SERDE,
    committed_offsets,
    consumer_settings,
    create_topics,
    event_for,
    produce,
    produce_raw,
    running_member,
    wait_until,
)
from tests.kafka_fixture import read_all


def sales_orders(sim: NetSuiteSimulator) -> dict[str, dict[str, Any]]:
    return {r["externalId"]: r for r in sim.records("salesOrder")}


def test_an_outage_several_times_longer_than_the_retry_chain_dead_letters_nothing(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    """The chain (0.3 + 0.6 + 1 s, two tries a call) is over in ~3 s; NetSuite is down for 15 s."""
    settings = consumer_settings(
        broker.bootstrap,
        sim.env(),
        unique_name,
        retry_delays_seconds="0.3,0.6,1",
        netsuite_call_attempts=2,
        netsuite_outage_after_s=2,
        netsuite_outage_min_failures=3,
        halt_probe_max_interval_s=1,
    )
    create_topics(settings)
    metric_delta.mark("woo_consumer_halts_total", reason="netsuite_outage")
    metric_delta.mark_sum("woo_consumer_dead_lettered_total", "error_class")
    factory = OrderFactory(seed=21)
    orders = [factory.order(n) for n in range(1, 31)]
    sim.set_faults(Faults(outage_s=15))
    started = time.monotonic()
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])

    with running_member(settings) as member:
        wait_until(lambda: member.halts.reasons(), 20, "the outage breaker halts the member")
        assert "netsuite_outage" in member.halts.reasons()
        wait_until(lambda: len(sales_orders(sim)) == 30, 60, "every order after the outage")
    assert time.monotonic() - started > 15, "the orders landed only once NetSuite was back"
    assert set(sales_orders(sim)) == {f"WOO_ORDER_{o['id']}" for o in orders}
    assert metric_delta("woo_consumer_halts_total", reason="netsuite_outage") >= 1
    assert metric_delta.sum("woo_consumer_dead_lettered_total", "error_class") == 0
    assert read_all(broker.bootstrap, settings.dead_letter_topic, 3, timeout_s=2) == []


def _poison(order: dict[str, Any], **order_fields: Any) -> bytes:
    """A record the receiver refuses today but an older receiver (or anyone who can write the topic)
    published: the Avro record is built by hand, past the model's validation."""
    record = to_record(event_for(order))
    record["order"].update(order_fields)
    return SERDE.encode_record(record)


def test_poison_records_among_good_ones_are_dead_lettered_without_a_crash_loop(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    """A 27-digit amount raised InvalidOperation after the customer was written, a `T24:00:00`
    date raised after the sales order was written: each crashed every member given the partition."""
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, orders_topic_partitions=1)
    create_topics(settings)
    factory = OrderFactory(seed=22)
    before = [factory.order(n) for n in range(1, 4)]
    after = [factory.order(n) for n in range(6, 9)]
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in before])
    produce_raw(broker.bootstrap, settings.orders_topic, b"4", _poison(factory.order(4), total="1" * 27))
    nested = factory.order(5)
    produce_raw(
        broker.bootstrap, settings.orders_topic, b"5", _poison(nested, date_created_gmt="2026-11-01T24:00:00")
    )
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in after])

    with running_member(settings):
        wait_until(lambda: len(sales_orders(sim)) == 6, 40, "the six good orders around the poison")
        wait_until(
            lambda: (
                committed_offsets(broker.bootstrap, settings.consumer_group, settings.orders_topic, 1)[0]
                == ends[0]
            ),
            20,
            "the partition's lag drains past the poison",
        )
    dead = read_all(broker.bootstrap, settings.dead_letter_topic, 1, timeout_s=10, expect=2)
    assert sorted(m.key() for m in dead) == [b"4", b"5"]
    for message in dead:
        headers = h.header_map(message.headers())
        assert headers[h.ERROR_CLASS] == "Undecodable"
        assert "1" * 27 not in headers[h.ERROR_MESSAGE]  # the reason names the field, not its value
    assert "WOO_ORDER_4" not in sales_orders(sim)
    assert "WOO_ORDER_5" not in sales_orders(sim)


def test_an_older_orders_update_never_reverts_its_customer_even_after_a_restart(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    """Order A, then order B of the same customer from a new address; then A is completed (an
    `order.updated` with a newer `date_modified_gmt`). The customer keeps B's address."""
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    factory = OrderFactory(seed=23, repeat_customers=0)
    a = factory.order(1)
    b = json.loads(json.dumps(factory.order(2)))
    b["customer_id"] = a["customer_id"]
    b["billing"] = {**a["billing"], "address_1": "Neuer Weg 2"}
    produce(broker.bootstrap, settings.orders_topic, [event_for(a), event_for(b)])
    customer = f"WOO_CUST_{a['customer_id']}"

    def address_1() -> str:
        [record] = [r for r in sim.records("customer") if r["externalId"] == customer]
        book = record.get("addressBook", {}).get("items", [])
        return str(book[0]["addressBookAddress"]["addr1"]) if book else ""

    with running_member(settings):
        wait_until(lambda: len(sales_orders(sim)) == 2, 30, "orders A and B")
    assert address_1() == "Neuer Weg 2"

    # A is completed, then edited again; each update is processed by a restarted member: one that
    # restores the group's memory, then one without it (no memory of A, B or the customer at all)
    for memory_topics, modified in ((True, "2026-12-01T10:00:00"), (False, "2026-12-02T10:00:00")):
        update = {**a, "status": "completed", "date_modified_gmt": modified, "date_completed_gmt": modified}
        ends = produce(broker.bootstrap, settings.orders_topic, [event_for(update, topic="order.updated")])
        restarted = consumer_settings(
            broker.bootstrap, sim.env(), unique_name, consumer_memory_topics=memory_topics
        )
        with running_member(restarted):
            wait_until(
                lambda ends=ends: all(
                    committed_offsets(broker.bootstrap, settings.consumer_group, settings.orders_topic, 3)[p]
                    >= end
                    for p, end in ends.items()
                ),
                30,
                "A's update processed",
            )
        assert address_1() == "Neuer Weg 2"
