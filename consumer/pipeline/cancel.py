"""A cancelled order closes its sales order in NetSuite: every line closed, the version stamped.

Left open, a sales order of a cancelled order is still picked, packed and shipped by the warehouse.
NetSuite closes a sales order by closing its lines: `PATCH …/salesOrder/<id>` with
`{"item": {"items": [{"line": n, "isClosed": true}, …]}}` — lines named by `line` (the item sublist's
key) are updated, the others kept (Oracle, "Use Case For Updating Your Sales Order",
section_159795512874; "Updating a Sublist", section_1545295601). Once every line is closed NetSuite
shows the order as Closed. Repeating the PATCH changes nothing, so a redelivered cancellation is
harmless; the version field is stamped in the same PATCH, so an older paid version that arrives
later — from a retry topic, or out of order — reads a newer version in NetSuite and is skipped
(`versions.held_is_newer`).

| memory (not for retries and repairs) or NetSuite | done                                | outcome           |
|-------------------------------------------------|-------------------------------------|-------------------|
| memory holds a newer version                    | nothing (no call)                   | skipped_stale     |
| memory: this cancellation was already applied   | nothing (no call)                   | skipped_unchanged |
| NetSuite has no sales order for it              | remembered, nothing written         | skipped_closed    |
| NetSuite holds a newer version                  | nothing                             | skipped_stale     |
| NetSuite: this version, every line closed       | remembered                          | skipped_unchanged |
| NetSuite holds it (open lines or older version) | one PATCH: lines closed, version set | closed           |

"Remembered" writes the cancellation into the group's memory (the compacted changelog when
`CONSUMER_MEMORY_TOPICS` is on): a paid version older than the cancellation that arrives after it
is then stale and never creates an open order. Without the changelog a member that restarts in
between forgets it; README, "Order events", says so. One GET (sublists expanded) finds the lines.
"""

from __future__ import annotations

from typing import Any

from consumer.pipeline.lease import Lease
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.ports import CallRunner, RecordStore
from consumer.pipeline.versions import CANCELLED, OrderMemory, held_is_newer


def cancel(
    store: RecordStore,
    memory: WriteMemory,
    *,
    version_field: str,
    order_id: int,
    partition: int,
    external_id: str,
    version: str,
    lease: Lease,
    run: CallRunner,
    trust_memory: bool = True,
) -> Outcome:
    """`trust_memory` False (a retry or repair record): decide on NetSuite alone, as every write does
    then — another member may have written meanwhile, or someone reopened the order in NetSuite."""
    known = memory.order(order_id) if trust_memory else None
    if known is not None and max(known.written or "", known.parked or "") > version:
        return Outcome.SKIPPED_STALE
    if known is not None and known.written == version and known.fingerprint == CANCELLED:
        return Outcome.SKIPPED_UNCHANGED
    held = run(lambda: store.get("salesOrder", external_id=external_id, expand_sub_resources=True))
    if held is None:
        _remember(memory, lease, partition, order_id, version)
        return Outcome.SKIPPED_CLOSED
    held_version = str(held.get(version_field) or "") or None
    if held_is_newer(held_version, version):
        return Outcome.SKIPPED_STALE
    lines = _lines(held)
    if held_version == version and all(line.get("isClosed") is True for line in lines):
        _remember(memory, lease, partition, order_id, version)
        return Outcome.SKIPPED_UNCHANGED
    body = {
        version_field: version,
        "item": {"items": [{"line": ln["line"], "isClosed": True} for ln in lines]},
    }
    run(lambda: store.update("salesOrder", str(held["id"]), body))
    _remember(memory, lease, partition, order_id, version)
    return Outcome.CLOSED


def _lines(record: dict[str, Any]) -> list[dict[str, Any]]:
    item = record.get("item")
    items = item.get("items") if isinstance(item, dict) else None
    return [ln for ln in items or [] if isinstance(ln, dict) and "line" in ln]


def _remember(memory: WriteMemory, lease: Lease, partition: int, order_id: int, version: str) -> None:
    def change(m: OrderMemory) -> OrderMemory:
        if m.written is not None and m.written > version:
            return m  # a newer version was remembered meanwhile
        return OrderMemory(version, CANCELLED, m.parked, m.booked)

    with lease.call():  # a revoked record must not update memory the revoke just cleared
        memory.remember_order(partition, order_id, change)
