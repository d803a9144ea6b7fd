"""The account's records: in memory, one lock, mirrored into SQLite for SuiteQL.

Callers that read-then-write (validate, check the external id, save) hold `store.lock` across the
whole sequence, so two concurrent upserts of one external id cannot both create a record — the
property the consumer's exactly-once claim rests on, and what NetSuite guarantees too.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable
from typing import Any

from devstack.netsuite_sim.account import Account, Currency, PaymentMethod, TaxCode
from devstack.netsuite_sim.sqlmirror import SqlMirror

ITEM_TYPES = ("inventoryItem", "serviceItem", "nonInventoryItem", "shipItem")
#: Credit memos and cash refunds are customer credits: `refunds.py` settles and checks them alike.
CREDIT_TYPES = ("creditMemo", "cashRefund")
TRANSACTION_TYPES = ("salesOrder", *CREDIT_TYPES, "customerDeposit", "customerRefund")
RECORD_TYPES = ("customer", *TRANSACTION_TYPES, *ITEM_TYPES)
_FIRST_ID = {"customer": 1001, "transaction": 20001, "item": 5001}

Record = dict[str, Any]


def family(record_type: str) -> str:
    """The external-id space of a record type: item types share one (SuiteQL's `item` table), and so
    do transaction types — "External IDs must be unique across the whole record group" (Oracle,
    "Shared Internal and External IDs", section_N3436356): a credit memo's id is no customer refund's."""
    if record_type in ITEM_TYPES:
        return "item"
    return "transaction" if record_type in TRANSACTION_TYPES else record_type


def id_space(record_type: str) -> str:
    """Every transaction type draws from one internal-id sequence (SuiteQL's `transaction` table)."""
    return family(record_type)


def is_sublist(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("items"), list)


#: Sublists keyed by a field: a new line with the key of an existing line updates that line (a
#: customer's Currencies subtab lists each currency once).
KEYED_SUBLISTS = {"currencyList": "currency", "deposit": "doc"}


def _key(line: Record, field: str) -> Any:
    value = line.get(field)
    return value.get("id") if isinstance(value, dict) else value


def merge(existing: Record, changes: Record, replace: Iterable[str]) -> Record:
    """NetSuite's update: body fields overwrite; sublist lines are appended unless replaced.

    A new line carrying the `line` number of an existing line updates that line instead (and in a
    keyed sublist, a line with an existing key). A sublist named in `replace` but absent from the
    body is emptied, as `?replace=` asks.
    """
    merged = copy.deepcopy(existing)
    replaced = set(replace)
    for name in replaced:
        if name not in changes and is_sublist(merged.get(name)):
            merged[name] = {"items": []}
    for key, value in changes.items():
        old = merged.get(key)
        if is_sublist(value) and key not in replaced and is_sublist(old):
            lines: list[Record] = merged[key]["items"]
            by_line = {line.get("line"): line for line in lines}
            key_field = KEYED_SUBLISTS.get(key)
            by_key = {_key(line, key_field): line for line in lines} if key_field else {}
            for new in value["items"]:
                target = by_line.get(new.get("line")) if "line" in new else None
                if target is None and key_field:
                    target = by_key.get(_key(new, key_field))
                if target is not None:
                    target.update(copy.deepcopy(new))
                else:
                    lines.append({k: v for k, v in copy.deepcopy(new).items() if k != "line"})
        elif is_sublist(value) and key in replaced:
            merged[key] = {"items": [{k: v for k, v in ln.items() if k != "line"} for ln in value["items"]]}
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class RecordStore:
    """Records by type and internal id, an external-id index, and the SuiteQL mirror."""

    def __init__(
        self,
        currencies: tuple[Currency, ...] = (),
        tax_codes: tuple[TaxCode, ...] = (),
        base_currency_id: str = "",
    ) -> None:
        self.lock = threading.RLock()
        self._records: dict[str, dict[str, Record]] = {t: {} for t in RECORD_TYPES}
        self._by_eid: dict[str, dict[str, tuple[str, str]]] = {}
        self._next_id = dict(_FIRST_ID)
        self._versions: dict[tuple[str, str], int] = {}
        self._sql = SqlMirror(currencies, tax_codes, base_currency_id)

    def add_reference(
        self, payment_methods: tuple[PaymentMethod, ...], accounts: tuple[Account, ...]
    ) -> None:
        """The account's payment methods and chart of accounts, for SuiteQL (read-only)."""
        with self.lock:
            self._sql.add_reference(payment_methods, accounts)

    def close(self) -> None:
        with self.lock:
            self._sql.close()

    def find(self, record_type: str, key: str) -> Record | None:
        """The live record for an internal id or `eid:<externalId>` (callers hold the lock)."""
        with self.lock:
            if key.startswith("eid:"):
                hit = self._by_eid.get(family(record_type), {}).get(key[4:])
                if hit is None or hit[0] != record_type:
                    return None
                key = hit[1]
            return self._records[record_type].get(key)

    def owner_of_eid(self, record_type: str, external_id: str) -> tuple[str, str] | None:
        """(record type, internal id) holding this external id in the type's family, if any."""
        with self.lock:
            return self._by_eid.get(family(record_type), {}).get(external_id)

    def find_item(self, item_id: str) -> Record | None:
        with self.lock:
            for record_type in ITEM_TYPES:
                found = self._records[record_type].get(str(item_id))
                if found is not None:
                    return found
            return None

    def item_id(self, name: str) -> str | None:
        """Internal id of the item whose `itemId` (name/number) is `name`."""
        with self.lock:
            for record_type in ITEM_TYPES:
                for record in self._records[record_type].values():
                    if record.get("itemId") == name:
                        return str(record["id"])
            return None

    def version(self, record_type: str, record_id: str) -> int:
        """How many times the record was saved (0: never): NetSuite's optimistic-lock stamp."""
        with self.lock:
            return self._versions.get((record_type, record_id), 0)

    def save(self, record_type: str, record: Record) -> str:
        """Store a validated record (new when it has no `id`); returns its internal id."""
        with self.lock:
            fam, space = family(record_type), id_space(record_type)
            if "id" not in record:
                record["id"] = str(self._next_id[space])
            record["id"] = str(record["id"])
            self._next_id[space] = max(self._next_id[space], int(record["id"]) + 1)
            record_id: str = record["id"]
            old = self._records[record_type].get(record_id)
            if old is not None and old.get("externalId") is not None:
                self._by_eid.setdefault(fam, {}).pop(str(old["externalId"]), None)
            _finalize(record_type, record)
            self._records[record_type][record_id] = record
            self._versions[(record_type, record_id)] = self._versions.get((record_type, record_id), 0) + 1
            if record.get("externalId") is not None:
                self._by_eid.setdefault(fam, {})[str(record["externalId"])] = (record_type, record_id)
            self._sql.put(record_type, record)
            return record_id

    def delete(self, record_type: str, record_id: str) -> bool:
        with self.lock:
            record = self._records[record_type].pop(record_id, None)
            if record is None:
                return False
            if record.get("externalId") is not None:
                self._by_eid.get(family(record_type), {}).pop(str(record["externalId"]), None)
            self._sql.remove(record_type, record_id)
            return True

    def all(self, record_type: str) -> list[Record]:
        """Deep copies, in internal-id order (safe to hand to tests)."""
        with self.lock:
            records = self._records[record_type].values()
            return [copy.deepcopy(r) for r in sorted(records, key=lambda r: int(r["id"]))]

    def select(self, record_type: str, predicate: Callable[[Record], bool] | None = None) -> list[str]:
        """Internal ids (in id order) of the records matching, without copying any record."""
        with self.lock:
            records = self._records[record_type].values()
            ids = [str(r["id"]) for r in records if predicate is None or predicate(r)]
            return sorted(ids, key=int)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return {t: len(records) for t, records in self._records.items()}

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        with self.lock:
            return self._sql.query(sql)


def _finalize(record_type: str, record: Record) -> None:
    """Fields NetSuite computes on save: line numbers, tranId, entityId, a sales order's status."""
    for value in record.values():
        if is_sublist(value):
            used = [int(line["line"]) for line in value["items"] if "line" in line]
            next_line = max(used, default=0) + 1
            for line in value["items"]:
                if "line" not in line:
                    line["line"] = next_line
                    next_line += 1
    if record_type == "salesOrder":  # amounts, tax and totals: `suitetax.settle`, before saving
        record.setdefault("tranId", f"SO{record['id']}")
        record["status"] = _order_status(record)
    elif record_type in _TRAN_PREFIX:
        record.setdefault("tranId", f"{_TRAN_PREFIX[record_type]}{record['id']}")
    elif record_type == "customer" and not record.get("entityId"):
        name = record.get("companyName") or " ".join(
            str(record.get(k, "")) for k in ("firstName", "lastName") if record.get(k)
        )
        record["entityId"] = name or f"CUS{record['id']}"


_TRAN_PREFIX = {"creditMemo": "CM", "cashRefund": "CR", "customerDeposit": "DEP", "customerRefund": "CRF"}


def _order_status(record: Record) -> dict[str, str]:
    """A sales order is Closed once every line is closed ("Closing a Sales Order": close the
    remaining lines, or Close on the order, which closes them); else as `orderStatus` approved it.
    The REST shape of `status` (id and refName) is *unconfirmed*; the consumer never reads it."""
    lines = record.get("item", {}).get("items", []) if is_sublist(record.get("item")) else []
    if lines and all(line.get("isClosed") is True for line in lines):
        return {"id": "H", "refName": "Closed"}
    if lines and all(line.get("quantityBilled") for line in lines):
        return {"id": "G", "refName": "Billed"}
    if lines and all(line.get("quantityFulfilled") for line in lines):
        return {"id": "F", "refName": "Pending Billing"}
    approval = record.get("orderStatus")
    if isinstance(approval, dict) and approval.get("id") == "A":
        return {"id": "A", "refName": "Pending Approval"}
    return {"id": "B", "refName": "Pending Fulfillment"}
