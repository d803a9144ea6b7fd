"""An order's money: the mapping of its payment (Customer Deposit) and of each refund (Credit Memo or
Cash Refund), and which of them the writer books when — once each, however often the order arrives."""

from __future__ import annotations

from typing import Any

import pytest

from consumer.errors import Unmappable
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.payments import map_deposit
from consumer.netsuite.refunds import map_deposit_refund, map_refund
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.once import due
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.sync import OrderWriter
from schemas.order import Refund, WooOrder
from tests.unit.test_order_writer import POLICY, FakeNetSuite, event, upserts, writer

REFUND_POLICY = POLICY.__class__(**{**POLICY.__dict__, "refund_item_id": "95"})
PAY_POLICY = POLICY.__class__(
    **{**POLICY.__dict__, "payment_records": True, "payment_method_map": {"stripe": "7", "default": "1"}}
)
EUR = CurrencyRef("EUR", 2, "2")


def order(**changes: Any) -> WooOrder:
    return event(**changes).order


def refund(refund_id: int = 726, total: str = "-10.00", reason: str = "") -> dict[str, Any]:
    return {"id": refund_id, "total": total, "reason": reason}


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


def refund_writer(ns: FakeNetSuite) -> Any:
    return writer(ns, REFUND_POLICY)


def refunds_event(*refunds: dict[str, Any], modified: str, status: str = "processing") -> Any:
    return event(status, modified=modified, topic="order.updated", refunds=[Refund(**r) for r in refunds])


def test_each_refund_is_booked_once_however_often_the_order_arrives() -> None:
    ns = FakeNetSuite()
    w = refund_writer(ns)
    w.write(event(), from_retry=False)  # the paid order
    ns.calls.clear()

    first = refunds_event(refund(7, "-5.00"), modified="2025-03-15T10:00:00")
    assert w.write(first, from_retry=False) is Outcome.BOOKED  # the sales order did not change
    assert upserts(ns) == [("upsert", "creditMemo")]  # the sales order did not change: no call for it
    ns.calls.clear()
    assert w.write(first, from_retry=False) is Outcome.SKIPPED_UNCHANGED  # redelivered
    assert ns.calls == [("resolve", "COF-1KG,MUG-BLUE")]

    second = refunds_event(refund(8, "-3.00"), refund(7, "-5.00"), modified="2025-03-16T10:00:00")
    ns.calls.clear()
    assert w.write(second, from_retry=False) is Outcome.BOOKED
    assert upserts(ns) == [("upsert", "creditMemo")]  # only the new refund
    amounts = sorted(
        body["item"]["items"][0]["amount"] for (kind, _), body in ns.records.items() if kind == "creditMemo"
    )
    assert amounts == [3.0, 5.0]  # two credit memos summing to the refunded amount


def test_a_retry_upserts_every_refund_again_without_duplicating_them() -> None:
    ns = FakeNetSuite()
    w = refund_writer(ns)
    record = refunds_event(refund(7, "-5.00"), refund(8, "-1.00"), modified="2025-03-15T10:00:00")
    w.write(record, from_retry=False)
    ns.calls.clear()
    assert w.write(record, from_retry=True) is Outcome.WRITTEN
    assert [c for c in upserts(ns) if c[1] == "creditMemo"] == [("upsert", "creditMemo")] * 2
    assert sorted(eid for kind, eid in ns.records if kind == "creditMemo") == ["WOO_REFUND_7", "WOO_REFUND_8"]


def test_an_order_refunded_in_full_closes_every_line_and_books_its_refund() -> None:
    ns = FakeNetSuite()
    w = refund_writer(ns)
    w.write(event(), from_retry=False)
    full = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="refunded")
    assert w.write(full, from_retry=False) is Outcome.WRITTEN
    lines = ns.records[("salesOrder", "WOO_ORDER_4711")]["item"]["items"]
    assert lines
    assert all(line["isClosed"] is True for line in lines)
    assert ("creditMemo", "WOO_REFUND_7") in ns.records


# --- payments -------------------------------------------------------------------------------------


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


def pay_writer(ns: FakeNetSuite) -> Any:
    return writer(
        ns, PAY_POLICY.__class__(**{**PAY_POLICY.__dict__, "refund_item_id": "95", "refund_account_id": "12"})
    )


def test_a_new_paid_order_books_its_payment_once_after_the_sales_order() -> None:
    ns = FakeNetSuite()
    w = pay_writer(ns)
    assert w.write(event(), from_retry=False) is Outcome.WRITTEN
    assert upserts(ns) == [("upsert", "customer"), ("upsert", "salesOrder"), ("upsert", "customerDeposit")]
    deposit = ns.records[("customerDeposit", "WOO_PAY_4711")]
    assert deposit["salesOrder"] == {"id": str(abs(hash("WOO_ORDER_4711")) % 10_000)}
    ns.calls.clear()
    # the order changes (an address edit): the sales order is written again, the payment is not
    changed = event(modified="2025-03-15T10:00:00", topic="order.updated", customer_note="leave at the door")
    assert w.write(changed, from_retry=False) is Outcome.WRITTEN
    assert upserts(ns) == [("upsert", "salesOrder")]


def test_a_payment_not_booked_with_its_sales_order_reads_the_orders_internal_id() -> None:
    """Payments turned on after the order was written: the sales order is unchanged, the deposit
    needs its internal id — one GET, then the deposit."""
    ns = FakeNetSuite()
    off = writer(ns)  # payments off
    off.write(event(), from_retry=False)
    w = OrderWriter(ns, ns, PAY_POLICY, calls=CallRetry(sleep=lambda s: None), memory=off.memory)  # then on
    ns.calls.clear()
    assert w.write(event(modified="2025-03-15T10:00:00", topic="order.updated"), from_retry=False) is (
        Outcome.BOOKED
    )
    assert [c for c in ns.calls if c[0] != "resolve"] == [
        ("get", "salesOrder"),
        ("upsert", "customerDeposit"),
    ]


def test_an_unpaid_or_free_order_books_no_payment() -> None:
    ns = FakeNetSuite()
    w = pay_writer(ns)
    w.write(event("pending", date_paid_gmt=None), from_retry=False)
    w.write(event(id=4712, total="0.00", line_items=[], shipping_lines=[], fee_lines=[], coupon_lines=[],
                  tax_lines=[], shipping_total="0", shipping_tax="0", total_tax="0", cart_tax="0",
                  discount_total="0", discount_tax="0"), from_retry=False)  # fmt: skip
    assert ("upsert", "customerDeposit") not in ns.calls


def test_payment_then_refunds_of_it_in_one_pass_for_an_order_first_seen_refunded() -> None:
    """The deposit written in this pass is not applied to any invoice: the refunds give it back,
    without reading it again."""
    ns = FakeNetSuite()
    w = pay_writer(ns)
    record = refunds_event(refund(8, "-4.22"), refund(7, "-60.00"), modified="2025-03-15T10:00:00")
    assert w.write(record, from_retry=False) is Outcome.WRITTEN
    kinds = [kind for _, kind in upserts(ns)]
    assert kinds == ["customer", "salesOrder", "customerDeposit", "customerRefund", "customerRefund"]
    assert ("get", "customerDeposit") not in ns.calls
    ns.calls.clear()
    assert w.write(record, from_retry=False) is Outcome.SKIPPED_UNCHANGED
    assert upserts(ns) == []


@pytest.mark.parametrize(
    ("deposit_status", "booked_as"),
    [
        (None, "customerRefund"),
        ({"id": "A"}, "customerRefund"),
        ({"id": "C"}, "creditMemo"),
        ("absent", "creditMemo"),
    ],
)
def test_a_full_refund_returns_the_deposit_until_the_order_was_billed(
    deposit_status: Any, booked_as: str
) -> None:
    """The table of consumer/pipeline/refund_route.py: refunded in full, one GET of the deposit decides."""
    ns = FakeNetSuite()
    w = pay_writer(ns)
    w.write(event(), from_retry=False)
    if deposit_status == "absent":  # paid before payments were booked
        del ns.records[("customerDeposit", "WOO_PAY_4711")]
    elif deposit_status is not None:
        ns.records[("customerDeposit", "WOO_PAY_4711")]["status"] = deposit_status
    ns.calls.clear()
    full = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="refunded")
    w.write(full, from_retry=False)
    assert ("get", "customerDeposit") in ns.calls
    assert [kind for _, kind in upserts(ns) if kind != "salesOrder"] == [booked_as]  # (its lines closed)


def test_partial_refunds_are_credits_and_one_completing_them_too() -> None:
    """The contract's credit for each partial refund, without reading the deposit; the refund that
    completes them stays a credit, as they are."""
    ns = FakeNetSuite()
    w = pay_writer(ns)
    w.write(event(), from_retry=False)
    ns.calls.clear()
    w.write(refunds_event(refund(7, "-5.00"), modified="2025-03-15T10:00:00"), from_retry=False)
    last = refunds_event(
        refund(8, "-59.22"), refund(7, "-5.00"), modified="2025-03-16T10:00:00", status="refunded"
    )
    w.write(last, from_retry=False)
    assert ("get", "customerDeposit") not in ns.calls
    assert [kind for _, kind in upserts(ns) if kind != "salesOrder"] == ["creditMemo", "creditMemo"]


def test_with_payments_off_the_deposit_is_never_read() -> None:
    ns = FakeNetSuite()
    w = refund_writer(ns)
    w.write(refunds_event(refund(7, "-5.00"), modified="2025-03-15T10:00:00"), from_retry=False)
    assert not any(kind == "customerDeposit" for _, kind in ns.calls)
    assert ("upsert", "creditMemo") in ns.calls


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


def test_a_cancelled_order_with_its_money_given_back_closes_and_books_the_refund_once() -> None:
    """An admin refunded the paid order, then cancelled it: the sales order is closed, the refund
    gives the deposit back (the cancellation table of consumer/pipeline/cancelled.py)."""
    ns = FakeNetSuite()
    w = pay_writer(ns)
    w.write(event(), from_retry=False)
    ns.calls.clear()
    cancelled = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="cancelled")
    assert w.write(cancelled, from_retry=False) is Outcome.CLOSED
    assert ("update", "salesOrder") in ns.calls
    assert ("customerRefund", "WOO_REFUND_7") in ns.records
    ns.calls.clear()
    assert w.write(cancelled, from_retry=False) is Outcome.SKIPPED_UNCHANGED
    assert ns.calls == []


def test_a_cancellation_never_written_books_no_refund() -> None:
    ns = FakeNetSuite()
    w = pay_writer(ns)
    cancelled = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="cancelled")
    assert w.write(cancelled, from_retry=False) is Outcome.SKIPPED_CLOSED
    assert upserts(ns) == []
