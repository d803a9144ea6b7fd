"""The warehouse's side of a sales order: lines fulfilled and billed, which the integration must not undo.

A test (or `make run`) fulfils an order as a warehouse would (`NetSuiteSimulator.fulfil`): every item
line's `quantityFulfilled` (and, billed, `quantityBilled`) becomes its quantity and the order's
status moves on (Pending Billing, Billed). From then on NetSuite keeps those lines: a write that
would remove one — `?replace=item` without it, which is how the consumer rewrites lines — is
refused with a USER_ERROR at `item` (NetSuite will not delete a fulfilled or billed line; the UI
asks to close it instead — the REST error's exact wording is *unconfirmed*). Changing other fields,
or a kept line named by its `line`, is allowed.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from devstack.netsuite_sim.deposits import refresh_deposits
from devstack.netsuite_sim.errors import user_error
from devstack.netsuite_sim.store import RecordStore, is_sublist

Record = dict[str, Any]


def done(line: Record) -> bool:
    """Fulfilled or billed, even in part."""
    return bool(line.get("quantityFulfilled") or line.get("quantityBilled"))


def fulfil(store: RecordStore, external_id: str, *, billed: bool = False) -> None:
    with store.lock:
        record = store.find("salesOrder", f"eid:{external_id}")
        if record is None:
            raise KeyError(f"no sales order {external_id}")
        changed = copy.deepcopy(record)
        for line in changed.get("item", {}).get("items", []):
            line["quantityFulfilled"] = line.get("quantity", 1)
            if billed:
                line["quantityBilled"] = line.get("quantity", 1)
        store.save("salesOrder", changed)
        deposits = store.select(
            "customerDeposit", lambda d: str(d.get("salesOrder", {}).get("id")) == changed["id"]
        )
        refresh_deposits(store, set(deposits))  # billed: NetSuite applies them to the invoice


def refuse_removing_done_lines(existing: Record, changes: Record, replace: Iterable[str]) -> None:
    if "item" not in set(replace) or not is_sublist(existing.get("item")):
        return
    kept = {ln.get("line") for ln in (changes.get("item") or {}).get("items", []) if "line" in ln}
    for line in existing["item"]["items"]:
        if done(line) and line.get("line") not in kept:
            number = line.get("line")
            why = f"You cannot remove line {number}: it has been fulfilled or billed. Close it instead."
            raise user_error(why, "item")
