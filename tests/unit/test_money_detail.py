"""Refunds with WooCommerce's per-line detail: itemised credits, and booking without it when the
shop does not answer."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.money_support import pay_writer, refund, refund_writer, refunds_event
from tests.unit.test_order_writer import FakeNetSuite

# --- refund detail -----------------------------------------------------------------------------------


class _Shop:
    """A RefundLookup: the detail of refund 7 (one bag of coffee), or nothing (the shop is down)."""

    def __init__(self, *, up: bool = True) -> None:
        self.up, self.asked = up, 0

    def details(self, order_id: int) -> dict[int, Any] | None:
        from consumer.woocommerce.refunds import RefundDetail

        self.asked += 1
        if not self.up:
            return None
        tax = [{"id": 1, "total": "-3.40", "subtotal": "-3.40"}]
        line = {"id": 1, "sku": "COF-1KG", "quantity": -1, "total": "-17.91", "subtotal": "-17.91",
                "total_tax": "-3.40", "taxes": tax}  # fmt: skip
        return {7: RefundDetail.model_validate({"id": 7, "amount": "21.31", "line_items": [line]})}


@pytest.mark.parametrize("up", [True, False])
def test_with_the_shops_detail_a_credit_is_itemised_and_without_it_one_line(up: bool) -> None:
    from consumer.pipeline.once import Itemiser

    ns = FakeNetSuite()
    w = refund_writer(ns)
    shop = _Shop(up=up)
    w.itemiser = Itemiser(shop, ns)
    w.write(refunds_event(refund(7, "-21.31"), modified="2025-03-15T10:00:00"), from_retry=False)
    lines = ns.records[("creditMemo", "WOO_REFUND_7")]["item"]["items"]
    assert shop.asked == 1
    assert [line["item"]["id"] for line in lines] == (["501"] if up else ["95"])


def test_a_refund_of_the_deposit_asks_the_shop_for_no_detail() -> None:
    from consumer.pipeline.once import Itemiser

    ns = FakeNetSuite()
    w = pay_writer(ns)
    shop = _Shop()
    w.itemiser = Itemiser(shop, ns)
    full = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="refunded")
    w.write(full, from_retry=False)
    assert shop.asked == 0
    assert ("customerRefund", "WOO_REFUND_7") in ns.records


def test_the_shop_down_is_counted_and_booked_without_detail() -> None:
    from prometheus_client import REGISTRY

    from consumer.woocommerce.client import WooUnavailable
    from consumer.woocommerce.refunds import WooRefunds

    class Down:
        def all_pages(self, path: str, params: Any) -> Any:
            raise WooUnavailable(f"GET {path}: ConnectionError")

    before = REGISTRY.get_sample_value("woo_consumer_refund_detail_unavailable_total") or 0
    assert WooRefunds(Down()).details(4711) is None  # type: ignore[arg-type]
    assert REGISTRY.get_sample_value("woo_consumer_refund_detail_unavailable_total") == before + 1
