"""SuiteQL's tables (`item`, `customer`, `transaction`, `transactionline`, `currency`,
`salestaxitem`, `paymentmethod`, `account`) mirrored into SQLite.

The records themselves live in `store.RecordStore`; this mirror is rewritten row by row on every
write so SuiteQL sees what the record API wrote. Column names are lowercase, as SuiteQL returns them;
custom fields (`custbody_*`, `custentity_*`, ...) become columns the first time they are written.

Transactions as SuiteQL shows them (shared/reference/netsuite.md, "SuiteQL over transactions"):
`transaction.foreigntotal` is the total in the transaction's currency (`total` is a REST field, not a
column); every transaction has one **main line** (`mainline = 'T'`, no item) besides its item lines
(`mainline = 'F'`, `taxline = 'F'`); on a sales order the item lines' `quantity`, `netamount` and
`foreignamount` are **negative** (the credit side: NetSuite's own exports write `quantity * -1`),
`rate` positive; there is no `amount` column (CData's transactionLine column list). Credit memos
(`CustCred`) and cash refunds (`CashRfnd`) debit revenue, so their item lines are shown positive, and
customer deposits (`CustDep`) have their main line only; the sign of these types' `foreigntotal` is
*unconfirmed* (shown as REST's `total`, positive).
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from devstack.netsuite_sim.account import Account, Currency, PaymentMethod, TaxCode

ITEM_TYPE_CODES = {
    "inventoryItem": "InvtPart",
    "serviceItem": "Service",
    "nonInventoryItem": "NonInvtPart",
    "shipItem": "ShipItem",
}

TRANSACTION_TYPE_CODES = {
    "salesOrder": "SalesOrd",
    "creditMemo": "CustCred",
    "cashRefund": "CashRfnd",
    "customerDeposit": "CustDep",
    "customerRefund": "CustRfnd",
}
_CREDIT_SIDE = {"salesOrder"}  # item lines shown negative

_SCHEMA = """
CREATE TABLE item (id INTEGER PRIMARY KEY, itemid TEXT, itemtype TEXT, externalid TEXT,
    displayname TEXT, description TEXT, isinactive TEXT, upccode TEXT, matrixtype TEXT, parent INTEGER);
CREATE TABLE customer (id INTEGER PRIMARY KEY, entityid TEXT, externalid TEXT, email TEXT,
    firstname TEXT, lastname TEXT, companyname TEXT, isperson TEXT, phone TEXT, subsidiary INTEGER,
    isinactive TEXT, currency INTEGER);
CREATE TABLE "transaction" (id INTEGER PRIMARY KEY, externalid TEXT, tranid TEXT, otherrefnum TEXT,
    entity INTEGER, type TEXT, trandate TEXT, memo TEXT, currency INTEGER, subsidiary INTEGER,
    foreigntotal REAL, taxtotal REAL, status TEXT);
CREATE TABLE currency (id INTEGER PRIMARY KEY, name TEXT, symbol TEXT, currencyprecision INTEGER,
    isinactive TEXT, isbasecurrency TEXT);
CREATE TABLE salestaxitem (id INTEGER PRIMARY KEY, itemid TEXT, rate REAL, country TEXT, isinactive TEXT);
CREATE TABLE paymentmethod (id INTEGER PRIMARY KEY, name TEXT, isinactive TEXT);
CREATE TABLE account (id INTEGER PRIMARY KEY, fullname TEXT, accttype TEXT, isinactive TEXT);
CREATE TABLE transactionline (id INTEGER, "transaction" INTEGER, linesequencenumber INTEGER,
    item INTEGER, quantity REAL, rate REAL, netamount REAL, foreignamount REAL, memo TEXT,
    mainline TEXT, taxline TEXT, isclosed TEXT, PRIMARY KEY ("transaction", id));
"""
_CUSTOM_COLUMN = re.compile(r"^cust(body|entity|item|col)_[a-z0-9_]+$")
_CUSTOM_PREFIX = {
    "transaction": "custbody_",
    "customer": "custentity_",
    "item": "custitem_",
    "transactionline": "custcol_",
}
# `transaction` is an SQLite keyword; SuiteQL uses it as a bare table/column name. Quote it, leaving
# string literals and already-quoted identifiers alone.
_TRANSACTION_WORD = re.compile(r"('(?:[^']|'')*')|(\"(?:[^\"]|\"\")*\")|\b(transaction)\b", re.IGNORECASE)


def sql_value(value: Any) -> Any:
    """A record value as SuiteQL stores it: references by id, booleans as 'T'/'F'."""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, dict):
        return value.get("id") if "id" in value else json.dumps(value)
    if isinstance(value, list):
        return json.dumps(value)
    return value


def quote_transaction(sql: str) -> str:
    def repl(match: re.Match[str]) -> str:
        return match.group(0) if match.group(3) is None else '"transaction"'

    return _TRANSACTION_WORD.sub(repl, sql)


class SqlMirror:
    """The SQLite side. Not thread-safe by itself: `RecordStore` calls it under its lock."""

    def __init__(
        self,
        currencies: tuple[Currency, ...] = (),
        tax_codes: tuple[TaxCode, ...] = (),
        base_currency_id: str = "",
    ) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._columns: dict[str, set[str]] = {}
        for table in ("item", "customer", "transaction", "transactionline"):
            rows = self._db.execute(f'PRAGMA table_info("{table}")').fetchall()
            self._columns[table] = {str(r[1]) for r in rows}
        for c in currencies:  # read-only reference data of the account
            base = c.id == base_currency_id
            row = (int(c.id), c.name, c.symbol, c.precision, sql_value(c.inactive), sql_value(base))
            self._db.execute("INSERT INTO currency VALUES (?, ?, ?, ?, ?, ?)", row)
        for t in tax_codes:
            self._db.execute(
                "INSERT INTO salestaxitem VALUES (?, ?, ?, ?, ?)",
                (int(t.id), t.name, t.rate, t.country, sql_value(t.inactive)),
            )

    def add_reference(
        self, payment_methods: tuple[PaymentMethod, ...], accounts: tuple[Account, ...]
    ) -> None:
        for m in payment_methods:
            self._db.execute(
                "INSERT INTO paymentmethod VALUES (?, ?, ?)", (int(m.id), m.name, sql_value(m.inactive))
            )
        for a in accounts:
            row = (int(a.id), a.name, a.type, sql_value(a.inactive))
            self._db.execute("INSERT INTO account VALUES (?, ?, ?, ?)", row)

    def close(self) -> None:
        self._db.close()

    def put(self, record_type: str, record: dict[str, Any]) -> None:
        if record_type in ITEM_TYPE_CODES:
            self._put_item(record_type, record)
        elif record_type == "customer":
            self._put_customer(record)
        elif record_type in TRANSACTION_TYPE_CODES:
            self._put_transaction(record_type, record)

    def remove(self, record_type: str, record_id: str) -> None:
        if record_type in ITEM_TYPE_CODES:
            self._db.execute("DELETE FROM item WHERE id = ?", (int(record_id),))
        elif record_type == "customer":
            self._db.execute("DELETE FROM customer WHERE id = ?", (int(record_id),))
        elif record_type in TRANSACTION_TYPE_CODES:
            self._db.execute('DELETE FROM "transaction" WHERE id = ?', (int(record_id),))
            self._db.execute('DELETE FROM transactionline WHERE "transaction" = ?', (int(record_id),))

    def query(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run one read-only statement; SQLite's authorizer refuses anything but reading."""
        self._db.set_authorizer(_read_only)
        try:
            cursor = self._db.execute(quote_transaction(sql))
            names = [str(d[0]).lower() for d in cursor.description or ()]
            return names, cursor.fetchall()
        finally:
            self._db.set_authorizer(None)

    def _upsert(self, table: str, row: dict[str, Any], record: dict[str, Any]) -> None:
        prefix = _CUSTOM_PREFIX.get(table)
        if prefix:
            for key, value in record.items():
                column = key.lower()
                if column.startswith(prefix) and _CUSTOM_COLUMN.match(column):
                    self._ensure_column(table, column)
                    row[column] = sql_value(value)
        names = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        self._db.execute(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})', tuple(row.values()))

    def _ensure_column(self, table: str, column: str) -> None:
        if column not in self._columns[table]:
            self._db.execute(f'ALTER TABLE "{table}" ADD COLUMN "{column}"')
            self._columns[table].add(column)

    def _put_item(self, record_type: str, rec: dict[str, Any]) -> None:
        row = {
            "id": int(rec["id"]),
            "itemid": rec.get("itemId"),
            "itemtype": ITEM_TYPE_CODES[record_type],
            "externalid": rec.get("externalId"),
            "displayname": rec.get("displayName"),
            "description": rec.get("description"),
            "isinactive": sql_value(bool(rec.get("isInactive", False))),
            "upccode": rec.get("upcCode"),
            "matrixtype": rec.get("matrixType"),
            "parent": sql_value(rec.get("parent")),
        }
        self._upsert("item", row, rec)

    def _put_customer(self, rec: dict[str, Any]) -> None:
        row = {
            "id": int(rec["id"]),
            "entityid": rec.get("entityId"),
            "externalid": rec.get("externalId"),
            "email": rec.get("email"),
            "firstname": rec.get("firstName"),
            "lastname": rec.get("lastName"),
            "companyname": rec.get("companyName"),
            "isperson": sql_value(bool(rec.get("isPerson", False))),
            "phone": rec.get("phone"),
            "subsidiary": sql_value(rec.get("subsidiary")),
            "isinactive": sql_value(bool(rec.get("isInactive", False))),
            "currency": sql_value(rec.get("currency")),
        }
        self._upsert("customer", row, rec)

    def _put_transaction(self, record_type: str, rec: dict[str, Any]) -> None:
        tran_id = int(rec["id"])
        sign = _credit if record_type in _CREDIT_SIDE else _same
        row = {
            "id": tran_id,
            "externalid": rec.get("externalId"),
            "tranid": rec.get("tranId"),
            "otherrefnum": rec.get("otherRefNum"),
            "entity": sql_value(rec.get("entity") or rec.get("customer")),
            "type": TRANSACTION_TYPE_CODES[record_type],
            "trandate": rec.get("tranDate"),
            "memo": rec.get("memo"),
            "currency": sql_value(rec.get("currency")),
            "subsidiary": sql_value(rec.get("subsidiary")),
            "foreigntotal": rec.get("total", rec.get("payment")),
            "status": sql_value(rec.get("status")),
            "taxtotal": rec.get("taxTotal"),
        }
        self._upsert("transaction", row, rec)
        self._db.execute('DELETE FROM transactionline WHERE "transaction" = ?', (tran_id,))
        main = {"id": 0, "transaction": tran_id, "linesequencenumber": 0, "mainline": "T", "taxline": "F"}
        self._upsert("transactionline", main, {})
        for line in rec.get("item", {}).get("items", []):
            line_row = {
                "id": line["line"],
                "transaction": tran_id,
                "linesequencenumber": line["line"],
                "item": sql_value(line.get("item")),
                "quantity": sign(line.get("quantity")),
                "rate": line.get("rate"),
                "netamount": sign(line.get("amount")),
                "foreignamount": sign(line.get("amount")),
                "memo": line.get("description"),
                "mainline": "F",
                "taxline": "F",
                "isclosed": sql_value(line.get("isClosed") is True),
            }
            self._upsert("transactionline", line_row, line)


def _credit(value: Any) -> Any:
    """A sales line's quantity or amount as SuiteQL shows it: negative (the credit side)."""
    return -value if isinstance(value, int | float) and not isinstance(value, bool) else value


def _same(value: Any) -> Any:
    return value


def _read_only(action: int, *_args: object) -> int:
    allowed = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, sqlite3.SQLITE_RECURSIVE}
    return sqlite3.SQLITE_OK if action in allowed else sqlite3.SQLITE_DENY
