"""The consumer against a real broker and the NetSuite simulator: the happy path and its counts."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from prometheus_client import REGISTRY

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from tests.conftest import Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    committed_offsets,
    consumer_settings,
    create_topics,
    event_for,
    produce,
    running_member,
    wait_until,
)


def netsuite_total(record: dict[str, object]) -> Decimal:
    """The total NetSuite (the simulator's SuiteTax engine) computed, not the sum of our lines."""
    return Decimal(repr(record["total"]))


def test_200_orders_each_written_once_with_offsets_committed_to_the_end(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    metric_delta.mark("woo_consumer_records_total", topic=settings.orders_topic)
    metric_delta.mark("woo_consumer_outcomes_total", outcome="written")
    metric_delta.mark("woo_order_end_to_end_seconds_count")
    metric_delta.mark("woo_order_age_at_write_seconds_count")
    metric_delta.mark_sum("woo_netsuite_request_seconds_count", "operation")
    metric_delta.mark("woo_consumer_in_flight_records")  # a gauge of the process: other tests' members
    factory = OrderFactory(seed=3)
    orders = [factory.order(n) for n in range(1, 201)]
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])

    with running_member(settings):
        wait_until(lambda: len(sim.records("salesOrder")) >= 200, 60, "200 sales orders")
        wait_until(
            lambda: (
                committed_offsets(broker.bootstrap, settings.consumer_group, settings.orders_topic, 3) == ends
            ),
            20,
            "offsets committed to the end",
        )

    sales_orders = sim.records("salesOrder")
    by_eid = Counter(r["externalId"] for r in sales_orders)
    assert len(sales_orders) == 200
    assert max(by_eid.values()) == 1
    customers = sim.records("customer")
    assert sorted(c["externalId"] for c in customers) == sorted(
        {f"WOO_CUST_{o['customer_id']}" for o in orders}
    )
    by_order = {f"WOO_ORDER_{o['id']}": o for o in orders}
    for record in sales_orders:
        order = by_order[record["externalId"]]
        assert netsuite_total(record) == Decimal(order["total"])  # suitetax: WooCommerce's tax, per line
        assert netsuite_total(record) - Decimal(repr(record["taxTotal"])) == Decimal(
            order["total"]
        ) - Decimal(order["total_tax"])
        shipping = Decimal(order["shipping_total"]) != 0
        assert len(record["item"]["items"]) == len(order["line_items"]) + shipping  # no tax line
        assert record["tranDate"] == order["date_created"][:10]
    assert sim.stats()["throttled"] == 0
    # what the dashboards read, from the same run
    assert metric_delta("woo_consumer_records_total", topic=settings.orders_topic) == 200
    assert metric_delta("woo_consumer_outcomes_total", outcome="written") == 200
    assert metric_delta("woo_order_end_to_end_seconds_count") == 200
    assert metric_delta("woo_order_age_at_write_seconds_count") == 200
    assert metric_delta.sum("woo_netsuite_request_seconds_count", "operation") == sim.stats()["requests"]
    assert metric_delta("woo_consumer_in_flight_records") == 0  # all of this member's records done
    assert REGISTRY.get_sample_value("woo_netsuite_governor_in_flight") == 0
