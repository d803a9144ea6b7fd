"""`audit --repair` leaves out orders the consumer cannot write for an unknown SKU (`consumer.audit.skus`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from consumer.audit.compare import MISSING, compare
from consumer.audit.expected import expected
from consumer.audit.netsuite import Held
from consumer.audit.repair import repairable
from consumer.audit.skus import with_unknown_skus
from consumer.netsuite.settings import MappingPolicy
from devstack.demo_orders import OrderFactory
from schemas.order import WooOrder

POLICY = MappingPolicy(
    shipping_item_id="90", discount_item_id="91", fee_item_id="92", tax_item_id="93", tax_mode="line"
)


def raw_order(order_id: int, sku: str) -> dict[str, Any]:
    raw = OrderFactory(seed=2).order(order_id)
    raw["line_items"] = raw["line_items"][:1]
    raw["line_items"][0]["sku"] = sku
    return raw


def test_an_order_dead_lettered_for_an_unknown_sku_is_reported_so_and_not_repaired() -> None:
    """Before: the audit's mapping accepts any SKU, so the order was 'missing' and re-sent by every
    `--repair`, to be dead-lettered again (audit of reconcile and audit, 2026-12-03)."""
    raw = {1: raw_order(1, "NO-SUCH-SKU"), 2: raw_order(2, "COF-1KG"), 3: raw_order(3, "MUG-BLUE")}
    wanted = [expected(WooOrder.model_validate(r), POLICY) for r in raw.values()]
    matching = Held(
        "30", wanted[2].external_id, "3", wanted[2].customer, wanted[2].total, lines=wanted[2].lines or 0
    )
    held: dict[int, list[Held]] = {1: [], 2: [], 3: [matching]}
    asked: list[list[str]] = []

    def resolve(skus: Iterable[str]) -> dict[str, str]:
        asked.append(list(skus))
        return {"COF-1KG": "501", "MUG-BLUE": "502"}

    marked = with_unknown_skus(wanted, held, raw, resolve)
    findings = [f for e in marked if (f := compare(e, held[e.order_id])) is not None]
    assert [(f.order_id, f.problem) for f in findings] == [(1, MISSING), (2, MISSING)]
    assert "it cannot be written: unknown SKU(s) in NetSuite: NO-SUCH-SKU" in findings[0].details
    assert [f.order_id for f in repairable(findings, {e.order_id: e for e in marked})] == [2]
    assert asked == [["COF-1KG", "NO-SUCH-SKU"]]  # only the orders found wanting; order 3 matched


def test_nothing_wanting_asks_nothing() -> None:
    raw = {1: raw_order(1, "COF-1KG")}
    wanted = [expected(WooOrder.model_validate(raw[1]), POLICY)]
    one = Held(
        "30", wanted[0].external_id, "1", wanted[0].customer, wanted[0].total, lines=wanted[0].lines or 0
    )

    def resolve(skus: Iterable[str]) -> dict[str, str]:
        raise AssertionError("asked NetSuite for SKUs with nothing to repair")

    assert with_unknown_skus(wanted, {1: [one]}, raw, resolve) == wanted
