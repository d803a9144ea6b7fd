"""Which of an order's money records the writer books when — once each, however often, in whatever
order, by whichever member the order arrives (`consumer/pipeline/once.py`, `refund_route.py`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from consumer.pipeline.calls import CallRetry
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.sync import OrderWriter
from tests.unit.money_support import PAY_POLICY, pay_writer, refund, refund_writer, refunds_event
from tests.unit.test_order_writer import FakeNetSuite, event, upserts, writer


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


def test_a_retry_finds_the_refunds_booked_and_never_writes_them_again() -> None:
    """A retry does not trust memory: one SuiteQL query finds what NetSuite holds, nothing is re-dated
    or re-typed (review: a retry used to upsert them again, a tax detail twice)."""
    ns = FakeNetSuite()
    w = pay_writer(ns)
    w.write(event(), from_retry=False)
    record = refunds_event(refund(7, "-5.00"), refund(8, "-1.00"), modified="2025-03-15T10:00:00")
    w.write(record, from_retry=False)
    ns.calls.clear()
    fresh = writer(ns, w._policy)  # another member: its memory knows nothing of the order
    assert fresh.write(record, from_retry=True) is Outcome.WRITTEN  # the sales order, read first
    assert [kind for _, kind in upserts(ns) if kind not in ("salesOrder", "customer")] == []
    assert ("suiteql", "transaction") in ns.calls


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
        ("suiteql", "transaction"),  # booked by someone already? (memory cannot say for an old order)
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


def test_payment_then_its_refund_in_one_pass_for_an_order_first_seen_refunded() -> None:
    """The deposit written in this pass is not applied to any invoice: a full refund gives it back;
    partial refunds are credits."""
    ns = FakeNetSuite()
    w = pay_writer(ns)
    record = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="refunded")
    assert w.write(record, from_retry=False) is Outcome.WRITTEN
    kinds = [kind for _, kind in upserts(ns)]
    assert kinds == ["customer", "salesOrder", "customerDeposit", "customerRefund"]
    partial = refunds_event(refund(9, "-4.22"), refund(8, "-60.00"), modified="2025-03-15T10:00:00", id=4712)
    w.write(partial, from_retry=False)
    assert [kind for _, kind in upserts(ns)][4:] == [
        "salesOrder",
        "customerDeposit",
        "creditMemo",
        "creditMemo",
    ]
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
    """The table of consumer/pipeline/refund_route.py: refunded in full, the deposit's status decides."""
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
    assert ns.calls.count(("suiteql", "transaction")) == 1  # the refund's and the deposit's, in one query
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


def test_orders_paid_before_payment_records_were_on_get_no_deposit() -> None:
    """Turning payments on for a running account: its older orders' payments may be booked already."""
    since = PAY_POLICY.__class__(**{**PAY_POLICY.__dict__, "payment_records_since": "2025-03-15T00:00:00"})
    ns = FakeNetSuite()
    w = writer(ns, since)
    w.write(event(date_paid_gmt="2025-03-14T09:15:35"), from_retry=False)  # paid the day before
    w.write(event(id=4712, date_paid_gmt="2025-03-15T08:00:00"), from_retry=False)
    assert [eid for kind, eid in ns.records if kind == "customerDeposit"] == ["WOO_PAY_4712"]


def test_two_refunds_in_any_order_of_delivery_end_as_the_same_records() -> None:
    """Each refund's record is decided by facts fixed when it was made (review: a full refund
    completing a partial one became a deposit refund only when delivered out of order)."""
    first = refunds_event(refund(7, "-10.00"), modified="2025-03-15T10:00:00")
    second = refunds_event(refund(8, "-54.22"), refund(7, "-10.00"), modified="2025-03-16T10:00:00")
    outcomes = []
    for deliveries in ((first, second), (second, first)):
        ns = FakeNetSuite()
        w = pay_writer(ns)
        w.write(event(), from_retry=False)
        for record in deliveries:
            w.write(record, from_retry=False)
        outcomes.append(sorted((kind, eid) for kind, eid in ns.records if eid.startswith("WOO_REFUND")))
    assert outcomes[0] == outcomes[1] == [("creditMemo", "WOO_REFUND_7"), ("creditMemo", "WOO_REFUND_8")]


def test_a_member_that_lost_the_memory_of_a_refund_does_not_book_it_again() -> None:
    """Member 1 booked the refund, then lost its partition before remembering it; member 2 reads the
    record from the main topic with memory that knows the payment only (review: a second record)."""
    ns = FakeNetSuite()
    one = pay_writer(ns)
    one.write(event(), from_retry=False)
    full = refunds_event(refund(7, "-64.22"), modified="2025-03-15T10:00:00", status="refunded")
    one.write(full, from_retry=False)
    two = writer(ns, one._policy)
    two.memory.remember_order(
        0, 4711, lambda m: replace(m, written="2025-03-14T09:15:36", booked=frozenset({"WOO_PAY_4711"}))
    )
    ns.calls.clear()
    two.write(full, from_retry=False)
    assert [kind for _, kind in upserts(ns) if kind not in ("salesOrder", "customer")] == []
    assert [kind for kind, eid in ns.records if eid == "WOO_REFUND_7"] == ["customerRefund"]
