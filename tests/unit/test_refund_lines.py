"""A refund booked line by line from WooCommerce's refund detail: the refunded items with their tax,
shipping on its item, an amount beyond the items on the refund item — NetSuite's total = the refund."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.refund_lines import Itemised, detailed_skus
from consumer.netsuite.refunds import map_refund, refund_amount
from consumer.woocommerce.refunds import RefundDetail
from schemas.order import Refund
from tests.unit.test_order_writer import POLICY, event

EUR = CurrencyRef("EUR", 2, "2")
REFUND_POLICY = POLICY.__class__(**{**POLICY.__dict__, "refund_item_id": "95"})
IDS = {"COF-1KG": "501", "MUG-BLUE": "502"}


def detail(amount: str, *lines: dict[str, Any], shipping: list[dict[str, Any]] | None = None) -> RefundDetail:
    return RefundDetail.model_validate(
        {
            "id": 726,
            "date_created": "2025-03-16T23:30:00",
            "date_created_gmt": "2025-03-16T22:30:00",
            "amount": amount,
            "line_items": list(lines),
            "shipping_lines": shipping or [],
        }
    )


# one of the two bags of coffee (line 901: 2 x 17.91, tax 6.8058 at rate 1)
COFFEE = {
    "id": 7001,
    "sku": "COF-1KG",
    "name": "Coffee",
    "quantity": -1,
    "subtotal": "-17.91",
    "total": "-17.91",
    "total_tax": "-3.40",
    "taxes": [{"id": 1, "total": "-3.4029", "subtotal": "-3.4029"}],
    "meta_data": [{"key": "_refunded_item_id", "value": "901"}],
}


def credit(found: RefundDetail, policy: Any = REFUND_POLICY) -> dict[str, Any]:
    order = event(refunds=[Refund(id=726, total=f"-{found.amount}")]).order
    itemised = Itemised(found, IDS)
    return map_refund(
        order, order.refunds[0], customer_id="1", policy=policy, currency=EUR, itemised=itemised
    ).body


def netsuite_total(body: dict[str, Any]) -> Decimal:
    lines = sum((Decimal(str(ln["amount"])) for ln in body["item"]["items"]), Decimal(0))
    tax = sum((Decimal(str(d["taxAmount"])) for d in body.get("taxDetails", {}).get("items", [])), Decimal(0))
    return lines + tax


def test_a_refunded_item_is_credited_on_its_item_with_its_tax() -> None:
    body = credit(detail("21.31", COFFEE))
    (line,) = body["item"]["items"]
    assert (line["item"], line["quantity"], line["amount"]) == ({"id": "501"}, 1, 17.91)
    (tax,) = body["taxDetails"]["items"]
    assert (tax["taxCode"], tax["taxAmount"], tax["taxDetailsReference"]) == (
        {"id": "11"},
        3.4,
        line["taxDetailsReference"],
    )
    assert body["taxDetailsOverride"] is True
    assert netsuite_total(body) == Decimal("21.31")
    assert body["tranDate"] == "2025-03-16"  # the refund's own date, in the shop's zone


def test_an_amount_beyond_the_items_is_an_untaxed_line_on_the_refund_item() -> None:
    body = credit(detail("25.00", COFFEE))
    extra = body["item"]["items"][-1]
    assert (extra["item"], extra["amount"]) == ({"id": "95"}, 3.69)
    assert netsuite_total(body) == Decimal("25.00")


def test_a_refund_of_money_only_on_a_line_is_one_unit_of_it() -> None:
    money_only = {
        **COFFEE,
        "quantity": 0,
        "total": "-5.00",
        "subtotal": "-5.00",
        "total_tax": "0",
        "taxes": [],
    }
    body = credit(detail("5.00", money_only))
    (line,) = body["item"]["items"]
    assert (line["item"], line["quantity"], line["amount"]) == ({"id": "501"}, 1, 5.0)


def test_refunded_shipping_is_a_line_on_the_shipping_item_even_with_a_ship_method_map() -> None:
    policy = REFUND_POLICY.__class__(**{**REFUND_POLICY.__dict__, "ship_method_map": {"default": "77"}})
    shipping = [{"id": 7002, "method_id": "flat_rate", "total": "-4.90", "total_tax": "-0.93",
                 "taxes": [{"id": 1, "total": "-0.931", "subtotal": ""}]}]  # fmt: skip
    body = credit(detail("5.83", shipping=shipping), policy)
    (line,) = body["item"]["items"]
    assert (line["item"], line["amount"]) == ({"id": "90"}, 4.9)
    assert "shipMethod" not in body
    assert netsuite_total(body) == Decimal("5.83")


def test_line_tax_mode_books_the_refunds_tax_on_the_tax_item() -> None:
    policy = REFUND_POLICY.__class__(**{**REFUND_POLICY.__dict__, "tax_mode": "line"})
    body = credit(detail("21.31", COFFEE), policy)
    assert [(ln["item"]["id"], ln["amount"]) for ln in body["item"]["items"]] == [("501", 17.91), ("93", 3.4)]
    assert "taxDetails" not in body


def test_the_skus_a_credit_needs_are_the_refunded_lines_skus() -> None:
    order = event().order
    assert detailed_skus(order, detail("21.31", COFFEE)) == ["COF-1KG"]


@pytest.mark.parametrize("quantity", [-1, -2])
def test_the_detail_model_takes_woocommerces_negative_quantities(quantity: int) -> None:
    assert detail("1.00", {**COFFEE, "quantity": quantity}).line_items[0].quantity == quantity


@pytest.mark.parametrize(("each", "expected"), [("500.50", [501, 500]), ("0.40", [0, 1])])
def test_credits_from_the_detail_are_rounded_as_a_running_total_too(each: str, expected: list[int]) -> None:
    """The order's refunds through each, rounded, less those before (as without the detail): two
    refunds of ¥500.50 are ¥501 and ¥500, never ¥1,002 of ¥1,001; ¥0.40 twice is nothing (not due)
    then ¥1 — on the refund item, never a credit without lines (review of e310ffa, 2026-12-03)."""
    yen = CurrencyRef("JPY", 0, "3")
    order = event(refunds=[Refund(id=2, total=f"-{each}"), Refund(id=1, total=f"-{each}")]).order
    totals = []
    for refund in reversed(order.refunds):
        if refund_amount(order, refund, yen.places) == 0:  # not due (`once.due`): no record
            totals.append(Decimal(0))
            continue
        found = RefundDetail.model_validate(
            {"id": refund.id, "date_created": "2025-03-16T23:30:00", "amount": each}
        )
        itemised = Itemised(found, {})
        body = map_refund(
            order, refund, customer_id="1", policy=REFUND_POLICY, currency=yen, itemised=itemised
        ).body
        assert body["item"]["items"], "a credit without lines"
        totals.append(netsuite_total(body))
    assert totals == expected
