"""Payments and refunds through a running member and the simulator: one deposit per paid order, one
credit memo per partial refund summing to what was refunded, the deposit given back for an order
refunded in full before billing (a credit memo after), an order refunded in full closed; every event
delivered twice and out of order leaves the same NetSuite state, one record per event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from devstack.woo_sim import WooSimConfig, WooSimulator
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
PAID, REFUND_1, REFUND_2 = (f"{YESTERDAY}T{h}:00:00" for h in ("10", "11", "12"))


def version(order: dict[str, Any], stamp: str, *refunds: tuple[int, str], status: str = "processing") -> Any:
    """The order as WooCommerce sends it at `stamp`, listing `refunds` (id, total) newest first."""
    listed = [{"id": rid, "reason": "", "total": total} for rid, total in refunds]
    changed = {**order, "date_modified_gmt": stamp, "status": status, "refunds": listed}
    return event_for(changed, topic="order.created" if stamp == PAID else "order.updated")


def test_each_payment_and_refund_is_booked_once_in_any_order_of_delivery(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    factory = OrderFactory(seed=33)
    a, b = factory.order(601), factory.order(602)
    a_id, b_id = a["id"], b["id"]
    for record in ("creditMemo", "customerRefund", "customerDeposit"):
        metric_delta.mark("woo_netsuite_money_booked_total", record=record)
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
    c, d = factory.order(603), factory.order(605)
    with running_member(settings):
        wait_until(
            lambda: (
                len(sim.records("creditMemo")) == 2  # a's partial refunds: credits, as the contract says
                and len(sim.records("customerRefund")) == 1  # b's, in full, unbilled: the deposit back
                and len(sim.records("customerDeposit")) == 2
                and metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") >= 1
            ),
            30,
            "a's two refunds, b's refund, both payments",
        )
        given_back = version(d, REFUND_2, (9005, f"-{d['total']}"), status="cancelled")  # refunded, cancelled
        later = [twice_refunded, version(a, REFUND_1, r1), version(c, PAID), version(d, PAID), given_back]
        produce(broker.bootstrap, settings.orders_topic, later)
        wait_until(
            lambda: len(sim.records("customerDeposit")) == 4 and len(sim.records("customerRefund")) == 2,
            30,
            "c and d paid, d's money given back",
        )
        sim.fulfil(f"WOO_ORDER_{c['id']}", billed=True)  # billed: its deposit is spent on the invoice
        c_refunded = version(c, REFUND_1, (9004, f"-{c['total']}"), status="refunded")  # in full, billed
        produce(broker.bootstrap, settings.orders_topic, [c_refunded])
        wait_until(
            lambda: (
                metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") >= 3
                and len(sim.records("creditMemo")) == 3
            ),
            30,
            "redeliveries seen, c's refund credited",
        )

    memos = by_external_id(sim, "creditMemo")
    assert set(memos) == {"WOO_REFUND_9001", "WOO_REFUND_9002", "WOO_REFUND_9004"}
    assert metric_delta("woo_netsuite_money_booked_total", record="creditMemo") == 3  # once each
    total = {eid: Decimal(str(r["total"])) for eid, r in memos.items()}
    assert total["WOO_REFUND_9001"] + total["WOO_REFUND_9002"] == first_refund + Decimal("1.50")
    assert total["WOO_REFUND_9004"] == Decimal(c["total"])
    returned = by_external_id(sim, "customerRefund")
    assert set(returned) == {"WOO_REFUND_9003", "WOO_REFUND_9005"}
    assert metric_delta("woo_netsuite_money_booked_total", record="customerRefund") == 2
    assert Decimal(str(returned["WOO_REFUND_9003"]["total"])) == Decimal(b["total"])
    orders = by_external_id(sim, "salesOrder")
    deposits = by_external_id(sim, "customerDeposit")
    assert set(deposits) == {f"WOO_PAY_{o['id']}" for o in (a, b, c, d)}
    assert metric_delta("woo_netsuite_money_booked_total", record="customerDeposit") == 4
    for order in (a, b, c, d):
        so, deposit = orders[f"WOO_ORDER_{order['id']}"], deposits[f"WOO_PAY_{order['id']}"]
        assert deposit["salesOrder"]["id"] == so["id"]
        assert deposit["customer"]["id"] == so["entity"]["id"]
        assert Decimal(str(deposit["payment"])) == Decimal(order["total"])
    for order in (b, d):  # refunded in full before billing: the deposit given back, to its customer
        deposit = deposits[f"WOO_PAY_{order['id']}"]
        (back,) = [r for r in returned.values() if r["deposit"]["items"][0]["doc"]["id"] == deposit["id"]]
        assert back["customer"]["id"] == deposit["customer"]["id"]
        assert deposit["status"]["id"] == "C"
    assert {m["entity"]["id"] for m in memos.values()} == {
        orders[f"WOO_ORDER_{o['id']}"]["entity"]["id"] for o in (a, c)
    }
    assert all(line["isClosed"] for line in orders[f"WOO_ORDER_{b_id}"]["item"]["items"])  # refunded in full
    assert not any(line.get("isClosed") for line in orders[f"WOO_ORDER_{a_id}"]["item"]["items"])
    assert len(orders) == 4
    assert orders[f"WOO_ORDER_{d['id']}"]["status"]["refName"] == "Closed"


def test_with_the_shops_api_a_refund_is_credited_line_by_line_with_its_tax(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WooCommerce's refund detail (its simulator's `/orders/<id>/refunds`) gives the credit memo the
    refunded item and its tax; NetSuite's total is the refund's amount. Payments off: a credit."""
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, netsuite_payment_records=False)
    create_topics(settings)
    with WooSimulator(WooSimConfig()) as shop:
        for name, value in shop.env().items():
            monkeypatch.setenv(name, value)  # the member finds the shop as `consumer` would
        created = shop.create_order(OrderFactory(seed=34).order(604), deliver=False)
        line = created["line_items"][0]
        refund = shop.refund_order(created["id"], {line["id"]: 1}, reason="damaged", deliver=False)
        refunded = shop.app.store.get(created["id"])
        assert refunded is not None
        produce(broker.bootstrap, settings.orders_topic, [event_for(refunded, topic="order.updated")])
        with running_member(settings):
            wait_until(lambda: len(sim.records("creditMemo")) == 1, 30, "the refund credited")

    (memo,) = sim.records("creditMemo")
    assert memo["externalId"] == f"WOO_REFUND_{refund['id']}"
    (credited,) = memo["item"]["items"]
    assert credited["item"]["id"] == sim.item_id(line["sku"])
    assert credited["quantity"] == 1
    assert Decimal(str(memo["total"])) == Decimal(refund["amount"])
    assert memo["taxTotal"] == pytest.approx(-float(refund["line_items"][0]["total_tax"]), abs=0.01)
