"""NetSuite's checks on customer credits (credit memo, cash refund) and customer deposits.

What NetSuite refuses, and the simulator therefore refuses (400 USER_ERROR at the offending path):
- a credit without a customer, or for a customer that does not exist ("Please enter value(s) for:
  Customer"; an invalid reference), in a currency that is not one of the customer's;
- a credit without an item line: "You must have at least one valid line item for this transaction."
  (`VALID_LINE_ITEM_REQD` as NetSuite answers it, netsuitephp/netsuite-php#60);
- a credit whose total is below zero: "The total cannot be negative." (Oracle, section_164206526447);
- a deposit without a customer or a payment, with a payment of zero or less (wording unconfirmed),
  or against a sales order of another customer ("only sales orders with the same customer as in
  the customer deposit can be used", Customer Deposit, section_N3667158; wording unconfirmed), or in
  another currency than that sales order's (*unconfirmed*: the deposit is applied to the order's
  invoice, in its currency).
- a `paymentOption` that is no active payment method, an `account` that is no active account — for
  money paid out (a cash refund's, a customer refund's) no active *bank* account (an invalid value).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from devstack.netsuite_sim.checks import check_currency, check_text, invalid_value, is_number, reference_id
from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.errors import ApiError, user_error
from devstack.netsuite_sim.fields import SALES_ORDER_LIMITS, TRAN_DATE
from devstack.netsuite_sim.order_checks import check_customer_currency, check_lines
from devstack.netsuite_sim.store import RecordStore
from devstack.netsuite_sim.suitetax import transaction_currency


def check_credit(body: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    """What a credit memo or cash refund request sent."""
    for name, limit in SALES_ORDER_LIMITS.items():
        check_text(body, name, limit, name)
    if "entity" in body:
        _customer(body["entity"], "entity", store)
    _common(body, config)
    for name in ("location", "department", "class", "subsidiary"):
        if name in body:
            reference_id(body[name], name)
    check_money_references(body, config, bank="account")
    check_lines(body, store)


def complete_credit(record: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    """The credit as it would be saved (before its totals are computed)."""
    if not record.get("entity"):
        raise user_error("Please enter value(s) for: Customer", "entity")
    if not record.get("item", {}).get("items"):
        raise ApiError(
            400, "VALID_LINE_ITEM_REQD", "You must have at least one valid line item for this transaction."
        )
    check_customer_currency(record, store, config)


def check_total(record: dict[str, Any]) -> None:
    """After settling: a credit gives money back, never takes it."""
    if Decimal(repr(float(record.get("total", 0)))) < 0:
        raise user_error("The total cannot be negative.", "item")


def check_deposit(body: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    if "customer" in body:
        _customer(body["customer"], "customer", store)
    _common(body, config)
    if "payment" in body and not is_number(body["payment"]):
        raise invalid_value(body["payment"], "payment", "payment")
    if "salesOrder" in body:
        order_id = reference_id(body["salesOrder"], "salesOrder")
        if store.find("salesOrder", order_id) is None:
            raise invalid_value(order_id, "salesOrder", "salesOrder")
    for name in ("undepFunds", "department", "class", "location", "subsidiary"):
        if name in body:
            reference_id(body[name], name)
    check_money_references(body, config, bank=None)


def complete_deposit(record: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    customer = record.get("customer")
    if not customer:
        raise user_error("Please enter value(s) for: Customer", "customer")
    if "payment" not in record:
        raise user_error("Please enter value(s) for: Payment Amount", "payment")
    if record["payment"] <= 0:
        raise user_error("The payment amount must be greater than zero.", "payment")  # wording unconfirmed
    order_ref = record.get("salesOrder")
    order = store.find("salesOrder", str(order_ref["id"])) if isinstance(order_ref, dict) else None
    if order is not None:
        if str(order.get("entity", {}).get("id")) != str(customer["id"]):
            raise user_error(
                "The sales order must belong to the customer of this deposit.", "salesOrder"
            )  # the rule is Oracle's, the wording unconfirmed
        as_entity = {**record, "entity": customer}
        if transaction_currency(as_entity, config, store).id != transaction_currency(order, config, store).id:
            raise user_error("The currency must be the sales order's currency.", "currency")  # unconfirmed
    check_customer_currency({**record, "entity": customer}, store, config)


def check_money_references(body: dict[str, Any], config: SimulatorConfig, *, bank: str | None) -> None:
    """`paymentOption` names an active payment method, `account` an active account — a bank account
    where money is paid out (`bank` names that field)."""
    if "paymentOption" in body:
        method_id = reference_id(body["paymentOption"], "paymentOption")
        method = next((m for m in config.payment_methods if m.id == method_id), None)
        if method is None or method.inactive:
            raise invalid_value(method_id, "paymentOption", "paymentOption")
    if "account" in body:
        account_id = reference_id(body["account"], "account")
        account = next((a for a in config.accounts if a.id == account_id), None)
        if account is None or account.inactive or (bank == "account" and account.type != "Bank"):
            raise invalid_value(account_id, "account", "account")


def _customer(ref: Any, path: str, store: RecordStore) -> None:
    customer_id = reference_id(ref, path)
    if store.find("customer", customer_id) is None:
        raise invalid_value(customer_id, path, path)


def _common(body: dict[str, Any], config: SimulatorConfig) -> None:
    if "currency" in body:
        check_currency(body["currency"], "currency", config)
    if "tranDate" in body and not (isinstance(body["tranDate"], str) and TRAN_DATE.match(body["tranDate"])):
        raise invalid_value(body["tranDate"], "tranDate", "tranDate")
    if "exchangeRate" in body and not is_number(body["exchangeRate"]):
        raise invalid_value(body["exchangeRate"], "exchangeRate", "exchangeRate")
