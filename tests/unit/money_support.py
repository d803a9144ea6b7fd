"""Shared by the money tests: policies with payments and refunds, orders with refunds, writers."""

from __future__ import annotations

from typing import Any

from consumer.netsuite.currency import CurrencyRef
from schemas.order import Refund, WooOrder
from tests.unit.test_order_writer import POLICY, FakeNetSuite, event, writer

REFUND_POLICY = POLICY.__class__(**{**POLICY.__dict__, "refund_item_id": "95"})
PAY_POLICY = POLICY.__class__(
    **{**POLICY.__dict__, "payment_records": True, "payment_method_map": {"stripe": "7", "default": "1"}}
)
EUR = CurrencyRef("EUR", 2, "2")


def order(**changes: Any) -> WooOrder:
    return event(**changes).order


def refund(refund_id: int = 726, total: str = "-10.00", reason: str = "") -> dict[str, Any]:
    return {"id": refund_id, "total": total, "reason": reason}


def refund_writer(ns: FakeNetSuite) -> Any:
    return writer(ns, REFUND_POLICY)


def refunds_event(*refunds: dict[str, Any], modified: str, status: str = "processing", **changes: Any) -> Any:
    listed = [Refund(**r) for r in refunds]
    return event(status, modified=modified, topic="order.updated", refunds=listed, **changes)


def pay_writer(ns: FakeNetSuite) -> Any:
    return writer(
        ns, PAY_POLICY.__class__(**{**PAY_POLICY.__dict__, "refund_item_id": "95", "refund_account_id": "12"})
    )
