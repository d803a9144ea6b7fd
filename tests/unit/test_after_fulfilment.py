"""The table in `consumer/pipeline/after_fulfilment.py`, row by row, against a fake NetSuite."""

from __future__ import annotations

from typing import Any

import pytest

from consumer.errors import Rejected
from consumer.netsuite.mapped import MappedRecord
from consumer.pipeline.after_fulfilment import write_after_refusal

LINES = [
    {"item": {"id": "501"}, "quantity": 2, "amount": 39.8},
    {"item": {"id": "502"}, "quantity": 1, "amount": 12.5},
]
SO = MappedRecord(
    "salesOrder", "WOO_ORDER_1", {"memo": "new note", "item": {"items": LINES}, "taxDetails": {"items": []}}
)
REFUSAL = Rejected("upsert:salesOrder: HTTP 400", status=400, error_code="USER_ERROR", path="item")


class Store:
    def __init__(self, held: dict[str, Any] | None) -> None:
        self.held, self.writes = held, []  # type: ignore[var-annotated]

    def get(self, record_type: str, **_: Any) -> dict[str, Any] | None:
        return self.held

    def upsert(self, record_type: str, external_id: str, body: dict[str, Any], **_: Any) -> str:
        self.writes.append(body)
        return "77"


def held(lines: list[dict[str, Any]], fulfilled: bool) -> dict[str, Any]:
    done = [
        {**ln, "line": n + 1, "quantityFulfilled": ln["quantity"] if fulfilled else 0}
        for n, ln in enumerate(lines)
    ]
    return {"id": "77", "item": {"items": done}}


def write(store: Store) -> str:
    return write_after_refusal(store, SO, REFUSAL, lambda call: call())  # type: ignore[arg-type]


@pytest.mark.parametrize("netsuite", [None, held(LINES, fulfilled=False)], ids=["no-order", "not-fulfilled"])
def test_without_fulfilled_lines_netsuites_refusal_stands(netsuite: dict[str, Any] | None) -> None:
    store = Store(netsuite)
    with pytest.raises(Rejected) as raised:
        write(store)
    assert raised.value is REFUSAL
    assert store.writes == []


def test_fulfilled_and_unchanged_lines_the_header_alone_is_written() -> None:
    store = Store(held(list(reversed(LINES)), fulfilled=True))  # the same lines, in another order
    assert write(store) == "77"
    assert store.writes == [{"memo": "new note"}]


def test_fulfilled_and_changed_lines_the_header_is_written_and_the_change_refused_by_item_id() -> None:
    store = Store(held([LINES[0], {**LINES[1], "quantity": 3, "amount": 37.5}], fulfilled=True))
    with pytest.raises(Rejected) as raised:
        write(store)
    assert store.writes == [{"memo": "new note"}]
    assert raised.value.error_code == "CHANGED_AFTER_FULFILMENT"
    assert "item 502 x1 added" in raised.value.message
    assert "item 502 x3 gone" in raised.value.message
