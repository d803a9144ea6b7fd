"""The write decision of one order, with a fake NetSuite: which calls it makes, and which it saves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from consumer.errors import Transient, Unmappable
from consumer.netsuite.settings import MappingPolicy
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.sync import OrderWriter, Outcome
from schemas import OrderEvent, WooOrder

SAMPLE = Path(__file__).parents[1] / "data" / "woo_order_created_body.json"
POLICY = MappingPolicy(shipping_item_id="90", discount_item_id="91", fee_item_id="92", tax_item_id="93")
VERSION = POLICY.version_field


class FakeNetSuite:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail_next: list[Exception] = []

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: Sequence[str] = ()
    ) -> str:
        self.calls.append(("upsert", record_type))
        if self.fail_next:
            raise self.fail_next.pop(0)
        self.records[(record_type, external_id)] = body
        return str(abs(hash(external_id)) % 10_000)

    def get(self, record_type: str, *, external_id: str | None = None, **_: Any) -> dict[str, Any] | None:
        self.calls.append(("get", record_type))
        return self.records.get((record_type, external_id or ""))

    def resolve(self, skus: Iterable[str]) -> dict[str, str]:
        self.calls.append(("resolve", ",".join(skus)))
        return {"COF-1KG": "501", "MUG-BLUE": "502"}


def event(status: str = "processing", modified: str = "2025-03-14T09:15:36", topic: str = "order.created",
          **changes: Any) -> OrderEvent:  # fmt: skip
    order = WooOrder.model_validate_json(SAMPLE.read_bytes()).model_copy(
        update={"status": status, "date_modified_gmt": modified, **changes}
    )
    return OrderEvent(order=order, webhook_topic=topic, received_at_ms=1)


@pytest.fixture
def ns() -> FakeNetSuite:
    return FakeNetSuite()


def writer(ns: FakeNetSuite) -> OrderWriter:
    return OrderWriter(ns, ns, POLICY, calls=CallRetry(sleep=lambda s: None))


def upserts(ns: FakeNetSuite) -> list[tuple[str, str]]:
    return [c for c in ns.calls if c[0] == "upsert"]


def test_a_new_paid_order_costs_two_writes(ns: FakeNetSuite) -> None:
    assert writer(ns).write(event(), from_retry=False) is Outcome.WRITTEN
    assert upserts(ns) == [("upsert", "customer"), ("upsert", "salesOrder")]
    assert ns.records[("salesOrder", "WOO_ORDER_4711")][VERSION] == "2025-03-14T09:15:36"


def test_a_returning_customer_costs_one_write(ns: FakeNetSuite) -> None:
    w = writer(ns)
    w.write(event(), from_retry=False)
    ns.calls.clear()
    w.write(event(id=4712, number="4712"), from_retry=False)
    assert upserts(ns) == [("upsert", "salesOrder")]


@pytest.mark.parametrize("status", ["pending", "failed", "on-hold", "checkout-draft"])
def test_unpaid_orders_are_skipped_without_a_call(ns: FakeNetSuite, status: str) -> None:
    assert writer(ns).write(event(status, date_paid_gmt=None), from_retry=False) is Outcome.SKIPPED_UNPAID
    assert ns.calls == []


@pytest.mark.parametrize("status", ["cancelled", "refunded"])
def test_closed_orders_are_left_for_later(ns: FakeNetSuite, status: str) -> None:
    assert writer(ns).write(event(status), from_retry=False) is Outcome.SKIPPED_CLOSED
    assert ns.calls == []


def test_a_status_only_update_makes_no_call(ns: FakeNetSuite) -> None:
    w = writer(ns)
    w.write(event(), from_retry=False)
    ns.calls.clear()
    later = event("completed", modified="2025-03-15T10:00:00", topic="order.updated")
    assert w.write(later, from_retry=False) is Outcome.SKIPPED_UNCHANGED
    assert upserts(ns) == []


def test_an_older_version_never_overwrites_a_newer_one(ns: FakeNetSuite) -> None:
    w = writer(ns)
    w.write(event(modified="2025-03-15T10:00:00", customer_note="v2"), from_retry=False)
    ns.calls.clear()
    assert w.write(event(modified="2025-03-14T09:15:36"), from_retry=False) is Outcome.SKIPPED_STALE
    assert upserts(ns) == []


def test_a_retried_old_version_checks_what_netsuite_holds(ns: FakeNetSuite) -> None:
    other_member = writer(ns)
    other_member.write(event(modified="2025-03-15T10:00:00"), from_retry=False)
    ns.calls.clear()
    fresh = writer(ns)  # no memory of that write, like a member after a rebalance
    assert fresh.write(event(modified="2025-03-14T09:15:36"), from_retry=True) is Outcome.SKIPPED_STALE
    assert ("get", "salesOrder") in ns.calls
    assert ("upsert", "salesOrder") not in ns.calls


def test_a_retried_newer_version_is_written(ns: FakeNetSuite) -> None:
    writer(ns).write(event(modified="2025-03-14T09:15:36"), from_retry=False)
    fresh = writer(ns)
    assert fresh.write(event(modified="2025-03-16T00:00:00"), from_retry=True) is Outcome.WRITTEN
    assert ns.records[("salesOrder", "WOO_ORDER_4711")][VERSION] == "2025-03-16T00:00:00"


def test_unknown_skus_are_unmappable(ns: FakeNetSuite) -> None:
    order = WooOrder.model_validate_json(SAMPLE.read_bytes())
    lines = [order.line_items[0].model_copy(update={"sku": "NOPE"})]
    with pytest.raises(Unmappable, match="NOPE"):
        writer(ns).write(event(line_items=lines), from_retry=False)
    assert upserts(ns) == []


def test_transient_failures_are_retried_in_process(ns: FakeNetSuite) -> None:
    ns.fail_next = [Transient("503"), Transient("503")]
    assert writer(ns).write(event(), from_retry=False) is Outcome.WRITTEN
    assert ("salesOrder", "WOO_ORDER_4711") in ns.records
