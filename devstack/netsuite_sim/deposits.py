"""Customer deposits and the customer refunds that give them back.

What the simulator keeps, after NetSuite (sources; *unconfirmed* where marked):
- A deposit's `status`: A "Not Deposited" while money remains on it, C "Fully Applied" once its sales
  order is billed (NetSuite applies the deposit to the invoice) or refunds took all of it — SuiteQL's
  `CustDep:A/B/C` (the REST shape `{"id", "refName"}` is unconfirmed); `amountRemaining` what is left.
- A Customer Refund (`customerRefund`) gives deposits back through its `deposit` sublist, lines keyed
  by `doc` (the deposit) with `apply` and `amount` (Oracle, "Customer Refund", article_0830082954).
  Refused: no customer; no `account` (mandatory: "the bank account you are using for this refund",
  SuiteScript records browser); a deposit of another customer; nothing applied; more than what remains
  of a deposit, or a deposit applied in full (wordings unconfirmed). Its `total` is what it applies.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from devstack.netsuite_sim.checks import invalid_value, is_number, reference_id
from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.credit_checks import check_money_references
from devstack.netsuite_sim.errors import ApiError, user_error
from devstack.netsuite_sim.store import RecordStore

NOT_DEPOSITED = {"id": "A", "refName": "Not Deposited"}
FULLY_APPLIED = {"id": "C", "refName": "Fully Applied"}

Record = dict[str, Any]


def _dec(value: Any) -> Decimal:
    return Decimal(repr(float(value or 0)))


def applications(record: Record) -> list[tuple[str, Decimal]]:
    """(deposit id, amount) of each applied line of a customer refund."""
    lines = (record.get("deposit") or {}).get("items", [])
    return [
        (str(line["doc"]["id"]), _dec(line.get("amount")))
        for line in lines
        if isinstance(line, dict) and line.get("apply") is True and isinstance(line.get("doc"), dict)
    ]


def remaining(store: RecordStore, deposit: Record, *, besides: str | None = None) -> Decimal:
    """What is left on a deposit: nothing once its order was billed; else the payment less what
    customer refunds (other than `besides`) applied."""
    order_ref = deposit.get("salesOrder")
    order = store.find("salesOrder", str(order_ref["id"])) if isinstance(order_ref, dict) else None
    if order is not None and (order.get("status") or {}).get("id") == "G":  # Billed
        return Decimal(0)
    used = sum(
        (
            amount
            for refund_id in store.select("customerRefund")
            if refund_id != besides
            for doc, amount in applications(store.find("customerRefund", refund_id) or {})
            if doc == str(deposit["id"])
        ),
        Decimal(0),
    )
    return _dec(deposit.get("payment")) - used


def settle_deposit(store: RecordStore, deposit: Record) -> None:
    """Its status and amount remaining, as NetSuite shows them (caller holds the lock)."""
    left = remaining(store, deposit) if "id" in deposit else _dec(deposit.get("payment"))
    deposit["amountRemaining"] = float(max(left, Decimal(0)))
    deposit["status"] = dict(FULLY_APPLIED if left <= 0 else NOT_DEPOSITED)


def refresh_deposits(store: RecordStore, deposit_ids: set[str]) -> None:
    """Recompute deposits after something applied or billed them."""
    for deposit_id in deposit_ids:
        deposit = store.find("customerDeposit", deposit_id)
        if deposit is not None:
            changed = dict(deposit)
            settle_deposit(store, changed)
            if changed != deposit:
                store.save("customerDeposit", changed)


def check_customer_refund(record: Record, store: RecordStore, config: SimulatorConfig) -> None:
    """The refund as it would be saved; sets its `total`."""
    customer = record.get("customer")
    if not customer:
        raise user_error("Please enter value(s) for: Customer", "customer")
    customer_id = reference_id(customer, "customer")
    if store.find("customer", customer_id) is None:
        raise invalid_value(customer_id, "customer", "customer")
    if not record.get("account"):
        raise user_error("Please enter value(s) for: Account", "account")
    check_money_references(record, config, bank="account")
    lines = (record.get("deposit") or {}).get("items", [])
    for i, line in enumerate(lines):
        path = f"deposit.items[{i}]"
        deposit_id = reference_id(line.get("doc") if isinstance(line, dict) else None, f"{path}.doc")
        deposit = store.find("customerDeposit", deposit_id)
        if deposit is None or str(deposit.get("customer", {}).get("id")) != customer_id:
            raise invalid_value(deposit_id, "doc", f"{path}.doc")
        if "amount" in line and not (is_number(line["amount"]) and line["amount"] > 0):
            raise invalid_value(line["amount"], "amount", f"{path}.amount")
        if line.get("apply") is True and _dec(line.get("amount")) > remaining(
            store, deposit, besides=record.get("id")
        ):
            raise user_error(
                f"The amount applied to deposit {deposit_id} is more than what remains of it.",
                f"{path}.amount",
            )  # wording unconfirmed
    applied = applications(record)
    if not applied:
        raise ApiError(400, "USER_ERROR", "You must apply at least one deposit or credit to this refund.")
    record["total"] = float(sum((amount for _, amount in applied), Decimal(0)))
