"""Cancellations through a running member and the simulator: the sales order is closed once, an
order cancelled before it was written never becomes an open sales order, redeliveries change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from tests.conftest import Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    by_external_id,
    consumer_settings,
    create_topics,
    event_for,
    produce,
    running_member,
    wait_until,
)

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
PAID, CANCELLED = f"{YESTERDAY}T10:00:00", f"{YESTERDAY}T11:00:00"  # after the factory's creation dates


def at(order: dict[str, Any], stamp: str, status: str) -> dict[str, Any]:
    return {**order, "date_modified_gmt": stamp, "status": status}


def test_cancelled_orders_are_closed_once_and_an_early_cancellation_never_opens_an_order(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    factory = OrderFactory(seed=21)
    a, b, c = (factory.order(n) for n in (501, 502, 503))
    for name in ("closed", "skipped_closed", "skipped_stale", "skipped_unchanged"):
        metric_delta.mark("woo_consumer_outcomes_total", outcome=name)
    produce(
        broker.bootstrap,
        settings.orders_topic,
        [
            event_for(at(a, PAID, "processing")),
            event_for(at(b, CANCELLED, "cancelled"), topic="order.updated"),  # before its paid version
            event_for(at(c, PAID, "processing")),
        ],
    )
    with running_member(settings):
        wait_until(lambda: len(sim.records("salesOrder")) == 2, 30, "orders a and c written")
        produce(
            broker.bootstrap,
            settings.orders_topic,
            [event_for(at(a, CANCELLED, "cancelled"), topic="order.updated")] * 2
            + [event_for(at(b, PAID, "processing"), topic="order.updated")],  # older, arrives later
        )
        wait_until(
            lambda: (
                metric_delta("woo_consumer_outcomes_total", outcome="closed") == 1
                and metric_delta("woo_consumer_outcomes_total", outcome="skipped_unchanged") == 1
                and metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") == 1
            ),
            30,
            "a closed once (its redelivery unchanged), b's older paid version stale",
        )

    orders = by_external_id(sim)
    assert set(orders) == {f"WOO_ORDER_{a['id']}", f"WOO_ORDER_{c['id']}"}, "b never opened"
    closed, still_open = orders[f"WOO_ORDER_{a['id']}"], orders[f"WOO_ORDER_{c['id']}"]
    assert [line["isClosed"] for line in closed["item"]["items"]] == [True] * len(closed["item"]["items"])
    assert closed["status"]["refName"] == "Closed"
    assert closed["custbody_woo_modified_gmt"] == CANCELLED
    assert closed["total"] > 0, "closing keeps the lines (and the order's history)"
    assert not any(line.get("isClosed") for line in still_open["item"]["items"])
    assert still_open["status"]["refName"] == "Pending Fulfillment"
    assert metric_delta("woo_consumer_outcomes_total", outcome="skipped_closed") == 1  # b, never written
