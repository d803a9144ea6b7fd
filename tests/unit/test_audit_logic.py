"""The audit's decisions without WooCommerce or NetSuite: which orders are judged, what NetSuite should
hold for them (the consumer's own mapping), and each row of the comparison table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from consumer.audit.compare import compare, table
from consumer.audit.expected import expected, judged
from consumer.audit.netsuite import Held
from consumer.netsuite.settings import MappingPolicy
from devstack.demo_orders import OrderFactory
from schemas.order import WooOrder

ITEMS = {"shipping_item_id": "90", "discount_item_id": "91", "fee_item_id": "92"}
LINE = MappingPolicy(**ITEMS, tax_item_id="93", tax_mode="line")
NETSUITE_TAX = MappingPolicy(**ITEMS, tax_mode="netsuite")
SUITETAX = MappingPolicy(**ITEMS, tax_mode="suitetax", tax_code_map={"default": "7", "none": "8"})


def order(**changes: Any) -> WooOrder:
    raw = OrderFactory(seed=2).order(41)
    return WooOrder.model_validate({**raw, **changes})


@pytest.mark.parametrize(
    ("changes", "audited"),
    [
        ({}, True),
        ({"status": "completed"}, True),
        ({"status": "on-hold", "date_paid_gmt": None}, False),
        ({"status": "pending", "date_paid_gmt": None}, False),
        ({"status": "on-hold", "date_paid_gmt": "2026-12-01T10:00:00"}, True),  # paid, then held
        ({"status": "cancelled"}, True),  # paid, then cancelled: it must not be open in NetSuite
        ({"status": "cancelled", "date_paid_gmt": None}, False),  # an abandoned checkout
        ({"status": "refunded"}, True),  # its sale is booked; the refunds are records of their own
        ({"status": "trash"}, False),
    ],
)
def test_which_orders_are_judged(changes: dict[str, Any], audited: bool) -> None:
    assert judged(order(**changes)) is audited


def test_what_netsuite_should_hold_comes_from_the_mapping() -> None:
    o = order()
    exp = expected(o, LINE)
    products = len(o.line_items)
    shipping = 1 if Decimal(o.shipping_lines[0].total) else 0
    assert (exp.external_id, exp.customer) == ("WOO_ORDER_41", f"WOO_CUST_{o.customer_id}")
    assert exp.lines == products + shipping + 1  # + the tax line
    assert (exp.total, exp.compare_line_sum, exp.unmappable) == (Decimal(o.total), False, None)
    left_to_netsuite = expected(o, NETSUITE_TAX)
    assert left_to_netsuite.lines == products + shipping
    assert left_to_netsuite.total == Decimal(o.total) - Decimal(o.total_tax)
    assert left_to_netsuite.compare_line_sum is True
    suitetax = expected(o, SUITETAX)  # WooCommerce's tax as tax details: no tax line, the whole total
    assert (suitetax.lines, suitetax.total, suitetax.compare_line_sum) == (
        products + shipping,
        Decimal(o.total),
        False,
    )


def test_an_order_that_cannot_be_mapped_says_why() -> None:
    exp = expected(order(total="1.00"), LINE)
    assert exp.lines is None
    assert exp.unmappable is not None
    assert "figures disagree" in exp.unmappable


def held(internal_id: str = "20001", **changes: Any) -> Held:
    o = order()
    values: dict[str, Any] = {
        "external_id": "WOO_ORDER_41",
        "other_ref": "41",
        "customer": f"WOO_CUST_{o.customer_id}",
        "total": Decimal(o.total),
        "lines": expected(o, LINE).lines,
        **changes,
    }
    return Held(internal_id, **values)


def test_a_matching_sales_order_is_no_finding() -> None:
    assert compare(expected(order(), LINE), [held()]) is None


def test_missing_duplicated_and_mismatched() -> None:
    exp = expected(order(), LINE)
    missing = compare(exp, [])
    assert missing is not None
    assert (missing.problem, missing.details) == ("missing", ("no sales order WOO_ORDER_41",))
    lookalike = compare(exp, [held(external_id=None)])
    assert lookalike is not None
    assert lookalike.problem == "missing"
    assert "sales order 20001 has PO # 41 and externalId none" in lookalike.details
    twice = compare(exp, [held(), held("20002", external_id=None)])
    assert twice is not None
    assert (twice.problem, twice.netsuite_ids) == ("duplicated", ("20001", "20002"))
    wrong = compare(exp, [held(customer="WOO_CUST_1", lines=1, total=Decimal("1.00"))])
    assert wrong is not None
    assert wrong.problem == "mismatched"
    assert len(wrong.details) == 3  # customer, lines, total
    assert wrong.details[1] == f"{exp.lines} lines expected, NetSuite has 1"
    rounding = compare(exp, [held(total=exp.total + Decimal("0.000000001"))])
    assert rounding is None  # SuiteQL's float noise is below a cent


def test_a_cancelled_order_must_not_be_open_in_netsuite() -> None:
    exp = expected(order(status="cancelled"), LINE)
    assert compare(exp, []) is None  # never written: nothing to close
    assert compare(exp, [held(open_lines=0, lines=2)]) is None  # closed (its total may differ: no matter)
    still_open = compare(exp, [held(open_lines=1, lines=2)])
    assert still_open is not None
    assert (still_open.problem, still_open.details) == (
        "not_closed",
        ("cancelled in WooCommerce; 1 of 2 lines open in NetSuite",),
    )


def test_the_line_sum_is_compared_when_netsuite_computes_tax() -> None:
    o = order()
    exp = expected(o, NETSUITE_TAX)
    good = held(total=Decimal(o.total) + Decimal("99"), lines=exp.lines, line_sum=exp.total)
    assert compare(exp, [good]) is None
    bad = compare(exp, [held(lines=exp.lines, line_sum=exp.total + 1)])
    assert bad is not None
    assert bad.details[0].startswith("line sum")


def test_guest_keys_are_not_printed() -> None:
    guest = order(customer_id=0)
    exp = expected(guest, LINE)
    assert exp.customer is not None
    assert exp.customer.startswith("WOO_GUEST_")
    finding = compare(exp, [held(customer="WOO_GUEST_other-40example_com")])
    assert finding is not None
    report = table([finding])
    assert "example" not in report
    assert "WOO_GUEST_…" in report
