"""A cancelled order's sales order: the table in `consumer/pipeline/cancel.py`, row by row."""

from __future__ import annotations

from typing import Any

import pytest

from consumer.pipeline.cancel import CANCELLED, cancel
from consumer.pipeline.lease import FreeLease
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.versions import OrderMemory, order_decision

FIELD = "custbody_woo_modified_gmt"
PAID, CANCEL, LATER = "2026-11-30T10:00:00", "2026-11-30T11:00:00", "2026-11-30T12:00:00"


class Store:
    """NetSuite's sales order as the GET with expanded sublists shows it; PATCHes recorded."""

    def __init__(self, record: dict[str, Any] | None) -> None:
        self.record = record
        self.calls: list[tuple[str, Any]] = []

    def get(self, record_type: str, **kwargs: Any) -> dict[str, Any] | None:
        assert kwargs.get("expand_sub_resources") is True, "the lines are only there expanded"
        self.calls.append(("get", kwargs["external_id"]))
        return self.record

    def update(self, record_type: str, internal_id: str, body: dict[str, Any]) -> None:
        self.calls.append(("update", (internal_id, body)))
        assert self.record is not None
        self.record[FIELD] = body[FIELD]
        for change in body["item"]["items"]:
            line = next(ln for ln in self.record["item"]["items"] if ln["line"] == change["line"])
            line.update(change)


def sales_order(version: str = PAID, closed: tuple[bool, ...] = (False, False)) -> dict[str, Any]:
    lines = [{"line": n + 1, "item": {"id": "501"}, "isClosed": c} for n, c in enumerate(closed)]
    return {"id": "77", FIELD: version, "item": {"items": lines}}


def run_cancel(
    store: Store, memory: WriteMemory, version: str = CANCEL, *, trust_memory: bool = True
) -> Outcome:
    return cancel(
        store,  # type: ignore[arg-type]
        memory,
        version_field=FIELD,
        order_id=4711,
        partition=0,
        external_id="WOO_ORDER_4711",
        version=version,
        lease=FreeLease(),
        run=lambda call: call(),
        trust_memory=trust_memory,
    )


def test_an_open_sales_order_gets_every_line_closed_and_the_version_in_one_patch() -> None:
    store, memory = Store(sales_order()), WriteMemory()
    assert run_cancel(store, memory) is Outcome.CLOSED
    [_get, (kind, (internal_id, body))] = store.calls
    assert kind == "update"
    assert internal_id == "77"
    assert body == {
        FIELD: CANCEL,
        "item": {"items": [{"line": 1, "isClosed": True}, {"line": 2, "isClosed": True}]},
    }
    assert memory.order(4711) == OrderMemory(CANCEL, CANCELLED, None)


def test_a_redelivered_cancellation_makes_no_call() -> None:
    store, memory = Store(sales_order()), WriteMemory()
    run_cancel(store, memory)
    store.calls.clear()
    assert run_cancel(store, memory) is Outcome.SKIPPED_UNCHANGED
    assert store.calls == []


def test_after_a_restart_an_already_closed_order_is_read_once_and_not_patched() -> None:
    store = Store(sales_order(CANCEL, closed=(True, True)))
    assert run_cancel(store, WriteMemory()) is Outcome.SKIPPED_UNCHANGED
    assert [c[0] for c in store.calls] == ["get"]


def test_a_partly_closed_order_gets_the_rest_closed() -> None:
    store = Store(sales_order(PAID, closed=(True, False)))
    assert run_cancel(store, WriteMemory()) is Outcome.CLOSED
    assert all(ln["isClosed"] for ln in store.record["item"]["items"])  # type: ignore[index]


@pytest.mark.parametrize("where", ["memory", "netsuite"])
def test_a_cancellation_older_than_what_is_held_changes_nothing(where: str) -> None:
    store, memory = Store(sales_order(LATER)), WriteMemory()
    if where == "memory":
        memory.remember_order(0, 4711, lambda m: OrderMemory(LATER, "f", None))
    assert run_cancel(store, memory) is Outcome.SKIPPED_STALE
    assert [c[0] for c in store.calls] == ([] if where == "memory" else ["get"])


def test_cancelled_before_it_was_written_nothing_is_written_and_the_older_paid_version_is_stale() -> None:
    store, memory = Store(None), WriteMemory()
    assert run_cancel(store, memory) is Outcome.SKIPPED_CLOSED
    assert [c[0] for c in store.calls] == ["get"]
    # the paid version, older, arrives afterwards (out of order): it must not create an open order
    known = memory.order(4711)
    decision = order_decision(PAID, known, from_retry=False, event="order.updated")
    assert decision.name == "SKIP_STALE"


def test_a_repair_or_retry_of_a_cancellation_decides_on_netsuite_not_on_memory() -> None:
    """Someone reopened the order in NetSuite after it was closed: `audit --repair` closes it again."""
    store, memory = Store(sales_order()), WriteMemory()
    run_cancel(store, memory)
    store.record["item"]["items"][0]["isClosed"] = False  # type: ignore[index]
    assert run_cancel(store, memory) is Outcome.SKIPPED_UNCHANGED  # memory alone would leave it open
    assert run_cancel(store, memory, trust_memory=False) is Outcome.CLOSED
    assert all(ln["isClosed"] for ln in store.record["item"]["items"])  # type: ignore[index]
