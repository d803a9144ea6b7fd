"""The pure mapping of an order's money: its payment (Customer Deposit) and each refund (Credit Memo,
Cash Refund, or Customer Refund of the deposit)."""

from __future__ import annotations

import pytest

from consumer.errors import Unmappable
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.payments import map_deposit
from consumer.netsuite.refunds import map_deposit_refund, map_refund
from consumer.pipeline.once import due
from schemas.order import Refund
from tests.unit.money_support import EUR, PAY_POLICY, REFUND_POLICY, order, refund
from tests.unit.test_order_writer import POLICY


def test_a_refund_is_a_credit_memo_for_the_money_given_back() -> None:
    o = order(refunds=[Refund(**refund(reason="damaged in transit"))])
    record = map_refund(o, o.refunds[0], customer_id="1001", policy=REFUND_POLICY, currency=EUR)
    assert (record.record_type, record.external_id) == ("creditMemo", "WOO_REFUND_726")
    body = record.body
    assert body["entity"] == {"id": "1001"}
    assert body["currency"] == {"id": "2"}
    assert body["item"]["items"] == [
        {"item": {"id": "95"}, "quantity": 1, "amount": 10.0, "description": "Refund #726"}
    ]
    assert body["taxDetailsOverride"] is True
    assert "taxDetails" not in body
    assert body["otherRefNum"] == o.order_number
    assert body["memo"] == f"WooCommerce refund #726 of order #{o.order_number}\nReason: damaged in transit"


def test_the_refund_is_dated_by_the_shop_local_day_of_the_order_version_that_carried_it() -> None:
    # New York shop: created 2025-03-14 20:00 local = 2025-03-15 00:00 GMT; refunded 02:30 GMT next day
    o = order(
        date_created="2025-03-14T20:00:00",
        date_created_gmt="2025-03-15T00:00:00",
        modified="2025-03-16T02:30:00",
        refunds=[Refund(**refund())],
    )
    record = map_refund(o, o.refunds[0], customer_id="1", policy=REFUND_POLICY, currency=EUR)
    assert record.body["tranDate"] == "2025-03-15"  # 22:30 on the 15th in New York, not the 16th


def test_a_cash_refund_names_its_bank_account_when_one_is_set() -> None:
    policy = REFUND_POLICY.__class__(
        **{**REFUND_POLICY.__dict__, "refund_record": "cashRefund", "refund_account_id": "12"}
    )
    o = order(refunds=[Refund(**refund())])
    record = map_refund(o, o.refunds[0], customer_id="1", policy=policy, currency=EUR)
    assert record.record_type == "cashRefund"
    assert record.body["account"] == {"id": "12"}


def test_a_store_code_keeps_refund_ids_of_several_shops_apart() -> None:
    policy = REFUND_POLICY.__class__(**{**REFUND_POLICY.__dict__, "store_code": "EU"})
    o = order(refunds=[Refund(**refund())])
    assert map_refund(o, o.refunds[0], customer_id="1", policy=policy, currency=EUR).external_id == (
        "WOO_EU_REFUND_726"
    )


def test_without_a_refund_item_the_order_is_unmappable_and_says_which_setting() -> None:
    o = order(refunds=[Refund(**refund())])
    with pytest.raises(Unmappable, match="NETSUITE_REFUND_ITEM_ID"):
        map_refund(o, o.refunds[0], customer_id="1", policy=POLICY, currency=EUR)


def test_refunds_are_due_oldest_first_and_a_zero_refund_is_not() -> None:
    # WooCommerce lists refunds newest first; a restock-only refund returns no money
    o = order(refunds=[Refund(**refund(9, "-2.50")), Refund(**refund(8, "0.00")), Refund(**refund(7, "-1"))])
    assert [r.id for r in due(o, REFUND_POLICY, None, currency=EUR).refunds] == [7, 9]


def test_an_amount_is_rounded_to_the_currency() -> None:
    yen = CurrencyRef("JPY", 0, "3")
    o = order(refunds=[Refund(**refund(total="-1000.4"))])
    record = map_refund(o, o.refunds[0], customer_id="1", policy=REFUND_POLICY, currency=yen)
    assert record.body["item"]["items"][0]["amount"] == 1000.0


@pytest.mark.parametrize(
    ("currency", "total", "parts", "expected"),
    [
        (CurrencyRef("JPY", 0, "3"), "1001.00", ["-500.50", "-500.50"], [501.0, 500.0]),
        (CurrencyRef("JPY", 0, "3"), "1001.00", ["-333.67", "-333.67", "-333.66"], [334.0, 333.0, 334.0]),
        (EUR, "10.01", ["-5.005", "-5.005"], [5.01, 5.0]),  # a 3-decimal shop booked in a 2-decimal currency
    ],
)
def test_refunds_rounded_as_a_running_total_never_give_back_more_than_was_paid(
    currency: CurrencyRef, total: str, parts: list[str], expected: list[float]
) -> None:
    """Each rounded alone, two refunds of 500.50 would book 501 + 501 of 1,001 paid (audit, 2026-12-03):
    each refund is the running total through it (by id: the order they were made in) less the one
    before it, whatever order WooCommerce lists them in or they are booked in."""
    refunds = [Refund(**refund(i + 1, part)) for i, part in enumerate(parts)]
    o = order(total=total, currency=currency.code, refunds=list(reversed(refunds)))
    booked = [
        map_refund(o, r, customer_id="1", policy=REFUND_POLICY, currency=currency).body["item"]["items"][0][
            "amount"
        ]
        for r in refunds
    ]
    assert booked == expected
    assert sum(booked) == float(round(sum(-float(p) for p in parts), currency.places))


def test_a_refund_of_the_deposit_applies_it_for_the_amount_from_the_refund_account() -> None:
    policy = PAY_POLICY.__class__(**{**PAY_POLICY.__dict__, "refund_account_id": "12"})
    o = order(payment_method="stripe", refunds=[Refund(**refund(total="-7.50"))])
    record = map_deposit_refund(
        o, o.refunds[0], customer_id="1001", deposit_id="20005", policy=policy, currency=EUR
    )
    assert (record.record_type, record.external_id) == ("customerRefund", "WOO_REFUND_726")
    assert record.body["customer"] == {"id": "1001"}
    assert record.body["account"] == {"id": "12"}
    assert record.body["deposit"] == {"items": [{"doc": {"id": "20005"}, "apply": True, "amount": 7.5}]}
    assert record.body["paymentOption"] == {"id": "7"}
    with pytest.raises(Unmappable, match="NETSUITE_REFUND_ACCOUNT_ID"):
        map_deposit_refund(o, o.refunds[0], customer_id="1", deposit_id="2", policy=PAY_POLICY, currency=EUR)


def test_a_paid_order_is_a_deposit_against_its_sales_order_for_the_total() -> None:
    o = order(
        payment_method="stripe",
        payment_method_title="Credit card (Stripe)",
        transaction_id="ch_3Mz",
        date_created="2025-03-14T20:00:00",
        date_created_gmt="2025-03-15T00:00:00",
        date_paid_gmt="2025-03-15T01:00:00",
    )
    record = map_deposit(o, customer_id="1001", sales_order_id="20001", policy=PAY_POLICY, currency=EUR)
    assert (record.record_type, record.external_id) == ("customerDeposit", "WOO_PAY_4711")
    body = record.body
    assert body["customer"] == {"id": "1001"}
    assert body["salesOrder"] == {"id": "20001"}
    assert body["payment"] == float(o.total)
    assert body["currency"] == {"id": "2"}
    assert body["paymentOption"] == {"id": "7"}
    assert body["tranDate"] == "2025-03-14"  # paid 21:00 in the shop's zone
    assert "Transaction: ch_3Mz" in body["memo"]
    assert "Credit card (Stripe)" in body["memo"]


def test_an_unmapped_payment_method_takes_the_default_and_none_sends_none() -> None:
    o = order(payment_method="cod")
    assert map_deposit(o, customer_id="1", sales_order_id="2", policy=PAY_POLICY, currency=EUR).body[
        "paymentOption"
    ] == {"id": "1"}
    plain = POLICY.__class__(**{**POLICY.__dict__, "payment_records": True})
    assert (
        "paymentOption"
        not in map_deposit(o, customer_id="1", sales_order_id="2", policy=plain, currency=EUR).body
    )


def test_every_money_record_carries_the_orders_location_department_and_class() -> None:
    dims = {"location_id": "3", "department_id": "4", "class_id": "5"}
    policy = PAY_POLICY.__class__(
        **{**PAY_POLICY.__dict__, **dims, "refund_item_id": "95", "refund_account_id": "12"}
    )
    o = order(refunds=[Refund(**refund())])
    expected = {"location": {"id": "3"}, "department": {"id": "4"}, "class": {"id": "5"}}
    bodies = [
        map_deposit(o, customer_id="1", sales_order_id="2", policy=policy, currency=EUR).body,
        map_refund(o, o.refunds[0], customer_id="1", policy=policy, currency=EUR).body,
        map_deposit_refund(
            o, o.refunds[0], customer_id="1", deposit_id="9", policy=policy, currency=EUR
        ).body,
    ]
    for body in bodies:
        assert {k: body[k] for k in expected} == expected
