"""The write decision of one order, with a fake NetSuite: which calls it makes, and which it saves."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from consumer.errors import Transient, Unmappable
from consumer.netsuite.settings import MappingPolicy
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.lease import FreeLease, GaveUp
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.sync import OrderWriter
from schemas import OrderEvent, WooOrder

SAMPLE = Path(__file__).parents[1] / "data" / "woo_order_created_body.json"
POLICY = MappingPolicy(
    shipping_item_id="90",
    discount_item_id="91",
    fee_item_id="92",
    tax_item_id="93",
    tax_code_map={"default": "11"},
    payment_records=False,  # the sales order's calls; payments and refunds: test_money.py
)
VERSION = POLICY.version_field
MONEY_TYPES = {
    "customerDeposit": "CustDep",
    "creditMemo": "CustCred",
    "cashRefund": "CashRfnd",
    "customerRefund": "CustRfnd",
}


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
        record = self.records.get((record_type, external_id or ""))
        return None if record is None else {**record, "id": str(abs(hash(external_id)) % 10_000)}

    def update(self, record_type: str, internal_id: str, body: dict[str, Any]) -> None:
        self.calls.append(("update", record_type))

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.calls.append(("suiteql", query.split(" FROM ")[1].split()[0]))
        if "FROM transaction WHERE externalid IN" in query:  # which money records exist (once.py)
            wanted = set(re.findall(r"'([^']+)'", query))
            for (record_type, eid), body in self.records.items():
                if eid in wanted and record_type in MONEY_TYPES:
                    status = (body.get("status") or {"id": "A"})["id"]
                    yield {"id": str(abs(hash(eid)) % 10_000), "externalid": eid,
                           "type": MONEY_TYPES[record_type], "status": status}  # fmt: skip

    def resolve(self, skus: Iterable[str], *, recheck_missing: bool = False) -> dict[str, str]:
        self.calls.append(("resolve", ",".join(skus)))
        return {"COF-1KG": "501", "MUG-BLUE": "502"}

    def invalidate(self, sku: str | None = None) -> None:
        self.calls.append(("invalidate", sku or ""))


def event(status: str = "processing", modified: str = "2025-03-14T09:15:36", topic: str = "order.created",
          **changes: Any) -> OrderEvent:  # fmt: skip
    order = WooOrder.model_validate_json(SAMPLE.read_bytes()).model_copy(
        update={"status": status, "date_modified_gmt": modified, **changes}
    )
    return OrderEvent(order=order, webhook_topic=topic, received_at_ms=1)


@pytest.fixture
def ns() -> FakeNetSuite:
    return FakeNetSuite()


def writer(ns: FakeNetSuite, policy: MappingPolicy = POLICY) -> OrderWriter:
    return OrderWriter(ns, ns, policy, calls=CallRetry(sleep=lambda s: None))


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


def test_trashed_orders_are_left_as_netsuite_has_them(ns: FakeNetSuite) -> None:
    assert writer(ns).write(event("trash"), from_retry=False) is Outcome.SKIPPED_CLOSED
    assert ns.calls == []


def test_an_order_cancelled_before_it_was_written_writes_nothing(ns: FakeNetSuite) -> None:
    assert writer(ns).write(event("cancelled"), from_retry=False) is Outcome.SKIPPED_CLOSED
    assert ns.calls == [("get", "salesOrder")]  # it might have been written by another member


def test_a_status_only_update_makes_no_call(ns: FakeNetSuite) -> None:
    w = writer(ns)
    w.write(event(), from_retry=False)
    ns.calls.clear()
    later = event("completed", modified="2025-03-15T10:00:00", topic="order.updated")
    assert w.write(later, from_retry=False) is Outcome.SKIPPED_UNCHANGED
    assert upserts(ns) == []


def test_a_repair_rewrites_an_order_memory_calls_unchanged(ns: FakeNetSuite) -> None:
    """The sales order was deleted in NetSuite after it was written: memory still says "written, same
    content", so a replay skips it; a repair (decided like a retry record) reads NetSuite and writes."""
    w = writer(ns)
    w.write(event(), from_retry=False)
    del ns.records[("salesOrder", "WOO_ORDER_4711")]
    assert w.write(event(topic="order.updated"), from_retry=False) is Outcome.SKIPPED_UNCHANGED
    assert w.write(event(topic="order.updated"), from_retry=True) is Outcome.WRITTEN
    assert ("salesOrder", "WOO_ORDER_4711") in ns.records


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


def test_a_retry_record_reads_netsuite_even_when_this_member_remembers_an_older_write(
    ns: FakeNetSuite,
) -> None:
    a = writer(ns)
    a.write(event(modified="2025-03-14T09:00:00"), from_retry=False)  # A wrote v1 and remembers it
    writer(ns).write(event(modified="2025-03-14T11:00:00"), from_retry=True)  # B wrote v3 meanwhile
    ns.calls.clear()
    assert a.write(event(modified="2025-03-14T10:00:00"), from_retry=True) is Outcome.SKIPPED_STALE  # v2 on A
    assert ("get", "salesOrder") in ns.calls
    assert ns.records[("salesOrder", "WOO_ORDER_4711")][VERSION] == "2025-03-14T11:00:00"


def test_a_retry_record_of_an_older_order_never_updates_the_customer(ns: FakeNetSuite) -> None:
    newer = event(modified="2025-03-15T10:00:00")
    writer(ns).write(newer, from_retry=False)
    before = dict(ns.records[("customer", "WOO_CUST_58")])
    old_address = newer.order.billing.model_copy(update={"address_1": "Altstraße 1"})
    older = event(
        modified="2025-03-15T11:00:00", billing=old_address, id=4700, number="4700",
        date_created_gmt="2025-03-01T08:00:00",
    )  # fmt: skip
    assert writer(ns).write(older, from_retry=True) is Outcome.WRITTEN  # its own sales order is fine
    assert ns.records[("customer", "WOO_CUST_58")] == before
    assert ("upsert", "customer") not in ns.calls[-3:]


def test_a_retry_record_of_the_newest_order_updates_the_customer(ns: FakeNetSuite) -> None:
    writer(ns).write(event(), from_retry=False)
    moved = event().order.billing.model_copy(update={"address_1": "Neuer Weg 2"})
    newest = event(modified="2025-03-20T10:00:00", billing=moved, id=4800, number="4800",
                   date_created_gmt="2025-03-20T09:00:00")  # fmt: skip
    assert writer(ns).write(newest, from_retry=True) is Outcome.WRITTEN
    book = ns.records[("customer", "WOO_CUST_58")]["addressBook"]["items"]
    assert book[0]["addressBookAddress"]["addr1"] == "Neuer Weg 2"
    assert ns.records[("customer", "WOO_CUST_58")][POLICY.customer_version_field] == (
        "2025-03-20T09:00:00 #4800"
    )


def test_a_status_update_of_an_older_order_never_reverts_the_customer(ns: FakeNetSuite) -> None:
    """Item 3 of the hardening issue: B (placed later, new address) is in NetSuite; then the older
    order A goes processing → completed. The customer keeps B's address — from memory, and after a
    restart from the version NetSuite holds."""
    a_address = event().order.billing
    b_address = a_address.model_copy(update={"address_1": "Neuer Weg 2"})
    a = event(billing=a_address)  # placed 2025-03-14
    b = event(billing=b_address, id=4800, number="4800", modified="2025-03-20T10:00:00",
              date_created_gmt="2025-03-20T09:00:00")  # fmt: skip
    w = writer(ns)
    w.write(a, from_retry=False)
    w.write(b, from_retry=False)
    completed = event("completed", modified="2025-03-21T10:00:00", topic="order.updated", billing=a_address)
    # the same member (the sales order is unchanged), then one that restarted (no memory: it reads)
    for member, outcome in ((w, Outcome.SKIPPED_UNCHANGED), (writer(ns), Outcome.WRITTEN)):
        ns.calls.clear()
        assert member.write(completed, from_retry=False) is outcome
        assert ("upsert", "customer") not in ns.calls
        book = ns.records[("customer", "WOO_CUST_58")]["addressBook"]["items"]
        assert book[0]["addressBookAddress"]["addr1"] == "Neuer Weg 2"


def test_a_record_judged_stale_never_touches_the_customer(ns: FakeNetSuite) -> None:
    writer(ns).write(event(modified="2025-03-15T10:00:00"), from_retry=False)
    moved = event().order.billing.model_copy(update={"address_1": "Altstraße 1"})
    ns.calls.clear()
    stale = event(modified="2025-03-14T09:00:00", topic="order.updated", billing=moved)
    assert writer(ns).write(stale, from_retry=False) is Outcome.SKIPPED_STALE  # read NetSuite first
    assert ns.calls == [("get", "salesOrder")]


def test_a_parked_order_never_takes_the_unchanged_shortcut(ns: FakeNetSuite) -> None:
    """Item 5: v1 written here; v2 (other content) parked and then written by another member from
    the retry topic; v3 with v1's content must be written, not skipped as unchanged."""
    w = writer(ns)
    v1 = event(modified="2025-03-14T09:15:36")
    w.write(v1, from_retry=False)
    v2 = event(modified="2025-03-14T10:00:00", customer_note="gift wrap")
    w.parked(v2, FreeLease())
    writer(ns).write(v2, from_retry=True)  # the other member, from the retry topic
    ns.calls.clear()
    v3 = event(modified="2025-03-14T11:00:00", topic="order.updated")  # back to v1's content
    assert w.write(v3, from_retry=False) is Outcome.WRITTEN
    assert ns.records[("salesOrder", "WOO_ORDER_4711")][VERSION] == "2025-03-14T11:00:00"


def test_an_older_copy_behind_a_parked_version_is_stale(ns: FakeNetSuite) -> None:
    w = writer(ns)
    w.parked(event(modified="2025-03-15T10:00:00"), FreeLease())  # v2 went to a retry topic
    assert w.write(event(modified="2025-03-14T09:00:00"), from_retry=False) is Outcome.SKIPPED_STALE
    assert upserts(ns) == []


class ScriptedLease(FreeLease):
    """Active for as many steps (a call's attempt, a memory update) as `active` says, then ended."""

    def __init__(self, *active: bool) -> None:
        super().__init__()
        self._script = iter(active)

    def ensure_active(self) -> None:
        if not next(self._script):
            raise GaveUp

    def call(self):  # type: ignore[no-untyped-def]
        self.ensure_active()
        return super().call()


def test_a_record_revoked_between_two_calls_makes_no_further_call(ns: FakeNetSuite) -> None:
    """The partition moved on after the customer write: the sales order is the new owner's to write."""
    with pytest.raises(GaveUp):  # item lookup, customer upsert, (its memory), then revoked
        writer(ns).write(event(), from_retry=False, lease=ScriptedLease(True, True, True, False))
    assert ns.calls == [("resolve", "COF-1KG,MUG-BLUE"), ("upsert", "customer")]
    assert ("salesOrder", "WOO_ORDER_4711") not in ns.records


def test_a_revoked_record_is_not_retried_in_process(ns: FakeNetSuite) -> None:
    ns.fail_next = [Transient("503")]
    with pytest.raises(GaveUp):  # lookup, the failing customer upsert, then revoked
        writer(ns).write(event(), from_retry=False, lease=ScriptedLease(True, True, False))
    assert upserts(ns) == [("upsert", "customer")]  # the repeat never went out


def test_a_write_finished_by_a_revoked_record_does_not_update_memory(ns: FakeNetSuite) -> None:
    w = writer(ns)
    with pytest.raises(GaveUp):  # lookup, customer, its memory, sales order, then revoked
        w.write(event(), from_retry=False, lease=ScriptedLease(True, True, True, True, False))
    assert ("salesOrder", "WOO_ORDER_4711") in ns.records  # the call on the wire landed
    assert w.memory.order(4711) is None  # but the revoke's cleared memory is not refilled


def test_a_failure_inside_the_mapping_is_unmappable(
    ns: FakeNetSuite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from decimal import InvalidOperation

    from consumer.netsuite import records

    def explode(*args: Any, **kwargs: Any) -> Any:
        raise InvalidOperation([InvalidOperation])

    monkeypatch.setattr(records, "map_sales_order", explode)
    with pytest.raises(Unmappable, match="InvalidOperation"):
        writer(ns).write(event(), from_retry=False)


def test_metrics_of_a_written_order_never_fail_it(ns: FakeNetSuite) -> None:
    """A bad date reached the metrics after the write and raised: the order was written, then lost."""
    bad = event().model_copy(
        update={"order": event().order.model_copy(update={"date_created_gmt": "2025-03-14T24:00:00"})}
    )
    assert writer(ns).write(bad, from_retry=False) is Outcome.WRITTEN


class _Sink:
    def order_changed(self, *args: Any) -> None: ...

    def customer_changed(self, *args: Any) -> None: ...


def test_with_the_groups_memory_an_unknown_customer_of_an_old_order_is_still_read(ns: FakeNetSuite) -> None:
    """The changelog may not know a customer NetSuite holds (written before the memory topics, past
    their retention): an update of an older order reads the customer's version, never rewrites it."""
    b_address = event().order.billing.model_copy(update={"address_1": "Neuer Weg 2"})
    b = event(billing=b_address, id=4800, number="4800", modified="2025-03-20T10:00:00",
              date_created_gmt="2025-03-20T09:00:00")  # fmt: skip
    writer(ns).write(b, from_retry=False)
    shared = OrderWriter(ns, ns, POLICY, calls=CallRetry(sleep=lambda s: None))
    shared.memory.sink = _Sink()  # the group's memory, which does not know this customer
    ns.calls.clear()
    completed = event("completed", modified="2025-03-21T10:00:00", topic="order.updated")
    assert shared.write(completed, from_retry=False) is Outcome.WRITTEN
    assert ("get", "customer") in ns.calls
    assert ("upsert", "customer") not in ns.calls


def test_a_redriven_order_created_nobody_remembers_reads_netsuite_first(ns: FakeNetSuite) -> None:
    writer(ns).write(event(modified="2025-03-15T10:00:00", topic="order.updated"), from_retry=False)
    ns.calls.clear()
    late = event(modified="2025-03-14T09:15:36")  # the order.created, dead-lettered, now redriven
    assert writer(ns).write(late, from_retry=False, redriven=True) is Outcome.SKIPPED_STALE
    assert ns.calls == [("get", "salesOrder")]
    assert ns.records[("salesOrder", "WOO_ORDER_4711")][VERSION] == "2025-03-15T10:00:00"


def test_a_paid_version_parked_before_an_early_cancellation_never_opens_an_order(ns: FakeNetSuite) -> None:
    """Paid v1 failed and went to a retry topic; cancelled v2 found nothing in NetSuite; v1 comes back:
    a retry reads NetSuite (nothing there) — the remembered cancellation must still stop it."""
    w = writer(ns)
    paid = event("processing", modified="2025-03-14T09:15:36")
    w.parked(paid, FreeLease())
    cancelled = event("cancelled", modified="2025-03-14T10:00:00", topic="order.updated")
    assert w.write(cancelled, from_retry=False) is Outcome.SKIPPED_CLOSED
    ns.calls.clear()
    assert w.write(paid, from_retry=True) is Outcome.SKIPPED_STALE
    assert ns.calls == []


def test_paid_and_cancelled_in_the_same_second_the_cancellation_wins(ns: FakeNetSuite) -> None:
    w = writer(ns)
    stamp = "2025-03-14T09:15:36"
    paid = event("processing", modified=stamp)
    assert w.write(paid, from_retry=False) is Outcome.WRITTEN
    held = ns.records[("salesOrder", "WOO_ORDER_4711")]
    held["item"] = {"items": [{"line": 1, "isClosed": False}]}
    assert (
        w.write(event("cancelled", modified=stamp, topic="order.updated"), from_retry=False) is Outcome.CLOSED
    )
    ns.calls.clear()
    for from_retry in (False, True):  # a redelivery of the paid version, or its retry copy
        assert w.write(paid, from_retry=from_retry) is Outcome.SKIPPED_STALE
    assert upserts(ns) == []
