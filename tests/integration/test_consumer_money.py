"""Payments and refunds through a running member and the simulator: one deposit per paid order, one
credit memo per refund summing to what was refunded, an order refunded in full closed — every event
delivered twice and out of order leaves the same NetSuite state, one record per event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from tests.conftest import Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    consumer_settings,
    create_topics,
    event_for,
    produce,
    running_member,
    wait_until,
)

YESTERDAY = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
PAID, REFUND_1, REFUND_2 = (f"{YESTERDAY}T{h}:00:00" for h in ("10", "11", "12"))


def version(order: dict[str, Any], stamp: str, *refunds: tuple[int, str], status: str = "processing") -> Any:
    """The order as WooCommerce sends it at `stamp`, listing `refunds` (id, total) newest first."""
    listed = [{"id": rid, "reason": "", "total": total} for rid, total in refunds]
    changed = {**order, "date_modified_gmt": stamp, "status": status, "refunds": listed}
    return event_for(changed, topic="order.created" if stamp == PAID else "order.updated")


def by_external_id(sim: NetSuiteSimulator, record_type: str) -> dict[str, dict[str, Any]]:
    return {r["externalId"]: r for r in sim.records(record_type)}


def test_each_payment_and_refund_is_booked_once_in_any_order_of_delivery(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    factory = OrderFactory(seed=33)
    a, b = factory.order(601), factory.order(602)
    a_id, b_id = a["id"], b["id"]
    metric_delta.mark("woo_netsuite_money_booked_total", record="creditMemo")
    metric_delta.mark("woo_netsuite_money_booked_total", record="customerDeposit")
    first_refund = (Decimal(a["total"]) / 4).quantize(Decimal("0.01"))
    r1, r2 = (9001, f"-{first_refund}"), (9002, "-1.50")
    twice_refunded = version(a, REFUND_2, r2, r1)
    produce(
        broker.bootstrap,
        settings.orders_topic,
        [
            version(a, PAID),
            twice_refunded,  # the second refund's version overtakes the first's
            version(a, REFUND_1, r1),
            twice_refunded,  # and is delivered again
            version(b, REFUND_1, (9003, f"-{b['total']}"), status="refunded"),  # first seen refunded in full
            version(a, PAID),  # a late duplicate of the paid version
        ],
    )
    with running_member(settings):
        wait_until(
            lambda: (
                len(sim.records("creditMemo")) == 3
                and len(sim.records("customerDeposit")) == 2
                and metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") >= 1
            ),
            30,
            "a's two refunds, b's refund, both payments",
        )
        produce(broker.bootstrap, settings.orders_topic, [twice_refunded, version(a, REFUND_1, r1)])
        wait_until(
            lambda: metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") >= 3,
            30,
            "redeliveries seen",
        )

    memos = by_external_id(sim, "creditMemo")
    assert set(memos) == {"WOO_REFUND_9001", "WOO_REFUND_9002", "WOO_REFUND_9003"}
    assert metric_delta("woo_netsuite_money_booked_total", record="creditMemo") == 3  # once each
    refunded_a = Decimal(str(memos["WOO_REFUND_9001"]["total"])) + Decimal(
        str(memos["WOO_REFUND_9002"]["total"])
    )
    assert refunded_a == first_refund + Decimal("1.50")
    assert Decimal(str(memos["WOO_REFUND_9003"]["total"])) == Decimal(b["total"])
    orders = by_external_id(sim, "salesOrder")
    deposits = by_external_id(sim, "customerDeposit")
    assert set(deposits) == {f"WOO_PAY_{a_id}", f"WOO_PAY_{b_id}"}
    assert metric_delta("woo_netsuite_money_booked_total", record="customerDeposit") == 2
    for order, so in ((a, orders[f"WOO_ORDER_{a_id}"]), (b, orders[f"WOO_ORDER_{b_id}"])):
        deposit = deposits[f"WOO_PAY_{order['id']}"]
        assert deposit["salesOrder"]["id"] == so["id"]
        assert deposit["customer"]["id"] == so["entity"]["id"]
        assert Decimal(str(deposit["payment"])) == Decimal(order["total"])
        memo_customers = {m["entity"]["id"] for m in memos.values() if m["otherRefNum"] == order["number"]}
        assert memo_customers == {so["entity"]["id"]}
    assert all(line["isClosed"] for line in orders[f"WOO_ORDER_{b_id}"]["item"]["items"])  # refunded in full
    assert not any(line.get("isClosed") for line in orders[f"WOO_ORDER_{a_id}"]["item"]["items"])
    assert len(orders) == 2
