"""`check`'s payment and refund lines: the payment methods and accounts the money records name.

| check                        | how (SuiteQL)                          | fails when                    |
|------------------------------|----------------------------------------|-------------------------------|
| NETSUITE_PAYMENT_METHOD_MAP  | every mapped id in `paymentmethod`     | unknown or inactive id        |
| NETSUITE_REFUND_ACCOUNT_ID   | the id in `account`, `accttype` Bank   | unknown, inactive, not a bank |
| NETSUITE_DEPOSIT_ACCOUNT_ID  | the id in `account`                    | unknown or inactive           |

Only what is configured is checked (payments off: no payment lines; an unset map: deposits take the
account's default method, said as ○; an unset refund account, said as ○ with the orders it would
dead-letter: not a ✘, as only a full refund before billing needs it and the contract does not name
it). An unknown id would reject the first deposit or refund that names it; a non-bank account would
book money paid out against the wrong ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from consumer.errors import AuthFailure
from consumer.netsuite.client import NetSuiteClient
from consumer.ops.result import Result
from consumer.settings import ConsumerSettings

METHODS, REFUND, DEPOSIT = (
    "NETSUITE_PAYMENT_METHOD_MAP",
    "NETSUITE_REFUND_ACCOUNT_ID",
    "NETSUITE_DEPOSIT_ACCOUNT_ID",
)


def money(settings: ConsumerSettings, client: NetSuiteClient) -> Iterator[Result]:
    methods = dict(settings.netsuite_payment_method_map or {})
    if settings.netsuite_payment_records and not methods:
        yield Result.skip(METHODS, "unset: deposits take the account's default payment method")
    elif settings.netsuite_payment_records:
        yield from _methods(methods, client)
    accounts = [(REFUND, settings.netsuite_refund_account_id, True)]
    if settings.netsuite_payment_records:
        accounts.append((DEPOSIT, settings.netsuite_deposit_account_id, False))
    for name, account_id, bank in accounts:
        if account_id:
            yield _account(name, account_id, bank, client)
        elif name == REFUND and settings.netsuite_payment_records:
            yield Result.skip(REFUND, f"unset: {_UNSET_REFUND}")


_UNSET_REFUND = (
    "an order refunded in full before it is billed is dead-lettered (its deposit is given back from that "
    "bank account) until it is set; then redrive it"
)


def _rows(client: NetSuiteClient, table: str, columns: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    query = f"SELECT {columns} FROM {table} WHERE id IN ({', '.join(ids)})"  # noqa: S608 - digits only
    return {str(r.get("id")): r for r in client.suiteql(query)}


def _methods(methods: dict[str, str], client: NetSuiteClient) -> Iterator[Result]:
    ids = sorted(set(methods.values()), key=int)  # the settings accept internal ids (digits) only
    try:
        rows = _rows(client, "paymentmethod", "id, name, isinactive", ids)
    except AuthFailure:
        yield Result(
            METHODS, False, "the role may not read payment methods", "give it Payment Methods (view)"
        )
        return
    problems = []
    for key, value in methods.items():
        row = rows.get(value)
        if row is None:
            problems.append(f"{key} → {value}: no payment method")
        elif _inactive(row):
            problems.append(f"{key} → {value} ({row.get('name')}) is inactive")
    if problems:
        yield Result(METHODS, False, "; ".join(problems), "map to an active payment method's internal id")
    else:
        yield Result(METHODS, True, ", ".join(f"{k} → {rows[v].get('name')}" for k, v in methods.items()))


def _account(name: str, account_id: str, bank: bool, client: NetSuiteClient) -> Result:
    try:
        row = _rows(client, "account", "id, fullname, accttype, isinactive", [account_id]).get(account_id)
    except AuthFailure:
        return Result(name, False, "the role may not read accounts", "give it Accounts (view)")
    if row is None:
        return Result(
            name, False, f"no account with internal id {account_id}", "use an account's internal id"
        )
    label = f"account {account_id} ({row.get('fullname')}, {row.get('accttype')})"
    if _inactive(row):
        return Result(name, False, f"{label} is inactive", "reactivate it, or name an active one")
    if bank and row.get("accttype") != "Bank":
        return Result(
            name, False, f"{label} is not a bank account", "name the bank account refunds are paid from"
        )
    return Result(name, True, label)


def _inactive(row: dict[str, Any]) -> bool:
    return str(row.get("isinactive", "F")).upper() in ("T", "TRUE")
