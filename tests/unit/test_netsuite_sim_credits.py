"""The simulator's customer credits (credit memo, cash refund) and customer deposits: NetSuite's
validation, its tax engine on credits, and how SuiteQL shows them — each behaviour on its own."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from devstack.netsuite_sim import NetSuiteSimulator
from tests.unit.netsuite_sim_support import (
    customer_body,
    error_detail,
    new_customer,
    order_body,
    record_url,
    suiteql_url,
)

REFUND_ITEM = "906"


def credit(customer_id: str, *amounts: float, **extra: Any) -> dict[str, Any]:
    lines = [{"item": {"id": REFUND_ITEM}, "quantity": 1, "amount": a} for a in amounts]
    return {"entity": {"id": customer_id}, "tranDate": "2024-05-02", "item": {"items": lines}, **extra}


def put(
    session: requests.Session, sim: NetSuiteSimulator, path: str, body: dict[str, Any]
) -> requests.Response:
    return session.put(record_url(sim, path), json=body)


@pytest.mark.parametrize("record_type", ["creditMemo", "cashRefund"])
def test_a_credit_is_upserted_by_external_id_once_with_its_total(
    sim: NetSuiteSimulator, session: requests.Session, record_type: str
) -> None:
    customer = new_customer(sim, session)
    body = credit(customer, 10.0, taxDetailsOverride=True)
    for _ in range(2):
        resp = session.put(record_url(sim, f"{record_type}/eid:WOO_REFUND_7?replace=item"), json=body)
        assert resp.status_code == 204, resp.text
    (record,) = sim.records(record_type)
    assert record["total"] == 10.0
    assert len(record["item"]["items"]) == 1


def test_an_upsert_without_replace_appends_a_second_line(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    """Why the consumer sends `replace=item`: NetSuite appends sublist lines on update."""
    customer = new_customer(sim, session)
    for _ in range(2):
        assert put(session, sim, "creditMemo/eid:WOO_REFUND_7", credit(customer, 10.0)).status_code == 204
    (record,) = sim.records("creditMemo")
    assert len(record["item"]["items"]) == 2


def test_a_credit_needs_an_existing_customer(sim: NetSuiteSimulator, session: requests.Session) -> None:
    resp = put(session, sim, "creditMemo/eid:R1", credit("999999", 10.0))
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "entity"
    body = credit("1", 10.0)
    del body["entity"]
    resp = put(session, sim, "creditMemo/eid:R1", body)
    assert error_detail(resp)["detail"] == "Please enter value(s) for: Customer"


def test_a_credit_needs_a_line(sim: NetSuiteSimulator, session: requests.Session) -> None:
    customer = new_customer(sim, session)
    resp = put(session, sim, "creditMemo/eid:R1", credit(customer))
    detail = error_detail(resp)
    assert resp.status_code == 400
    assert (detail["o:errorCode"], detail["detail"]) == (
        "VALID_LINE_ITEM_REQD",
        "You must have at least one valid line item for this transaction.",
    )


def test_a_credit_total_cannot_be_negative(sim: NetSuiteSimulator, session: requests.Session) -> None:
    customer = new_customer(sim, session)
    resp = put(session, sim, "creditMemo/eid:R1", credit(customer, -10.0, taxDetailsOverride=True))
    assert resp.status_code == 400
    assert error_detail(resp)["detail"] == "The total cannot be negative."
    assert sim.records("creditMemo") == []


def test_a_credit_in_a_currency_the_customer_lacks_is_refused(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)  # primary currency: the base (USD)
    resp = put(session, sim, "creditMemo/eid:R1", credit(customer, 10.0, currency={"id": "2"}))
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "currency"


def test_without_an_override_netsuite_taxes_the_credit_at_the_customers_nexus(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    """A credit memo has no ship-to: the engine takes the customer's default address (DE: 19%) —
    a refund booked gross without `taxDetailsOverride` would give back more than was refunded."""
    address = {"addressBookAddress": {"country": {"id": "DE"}, "city": "Berlin"}, "defaultShipping": True}
    resp = put(session, sim, "customer/eid:C_DE", customer_body(addressBook={"items": [address]}))
    assert resp.status_code == 204
    customer = resp.headers["Location"].rsplit("/", 1)[1]
    assert put(session, sim, "creditMemo/eid:R1", credit(customer, 100.0)).status_code == 204
    assert (
        put(session, sim, "creditMemo/eid:R2", credit(customer, 100.0, taxDetailsOverride=True)).status_code
        == 204
    )
    totals = {r["externalId"]: r["total"] for r in sim.records("creditMemo")}
    assert totals == {"R1": 119.0, "R2": 100.0}


def test_suiteql_shows_credits_and_deposits_as_their_transaction_types(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    item = sim.item_id("COF-1KG")
    assert put(session, sim, "salesOrder/eid:SO1", order_body(customer, [item])).status_code == 204
    order_id = sim.records("salesOrder")[0]["id"]
    assert (
        put(session, sim, "creditMemo/eid:R1", credit(customer, 4.0, taxDetailsOverride=True)).status_code
        == 204
    )
    deposit = {"customer": {"id": customer}, "payment": 10.0, "salesOrder": {"id": order_id}}
    assert put(session, sim, "customerDeposit/eid:P1", deposit).status_code == 204
    query = "SELECT externalid, type, foreigntotal FROM transaction ORDER BY id"
    resp = session.post(suiteql_url(sim), json={"q": query}, headers={"Prefer": "transient"})
    rows = [(r["externalid"], r["type"], r["foreigntotal"]) for r in resp.json()["items"]]
    # SuiteQL answers numbers as text
    assert rows == [("SO1", "SalesOrd", "10"), ("R1", "CustCred", "4"), ("P1", "CustDep", "10")]
    ids = [int(r["id"]) for t in ("salesOrder", "creditMemo", "customerDeposit") for r in sim.records(t)]
    assert len(set(ids)) == 3  # one internal-id sequence for every transaction


def test_a_deposit_must_be_for_the_sales_orders_customer(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    first = new_customer(sim, session, "C1")
    second = new_customer(sim, session, "C2")
    assert (
        put(session, sim, "salesOrder/eid:SO1", order_body(first, [sim.item_id("COF-1KG")])).status_code
        == 204
    )
    order_id = sim.records("salesOrder")[0]["id"]
    resp = put(
        session,
        sim,
        "customerDeposit/eid:P1",
        {"customer": {"id": second}, "payment": 10.0, "salesOrder": {"id": order_id}},
    )
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "salesOrder"


@pytest.mark.parametrize(("payment", "path"), [(None, "payment"), (0, "payment"), (-5.0, "payment")])
def test_a_deposit_needs_a_positive_payment(
    sim: NetSuiteSimulator, session: requests.Session, payment: float | None, path: str
) -> None:
    customer = new_customer(sim, session)
    body: dict[str, Any] = {"customer": {"id": customer}}
    if payment is not None:
        body["payment"] = payment
    resp = put(session, sim, "customerDeposit/eid:P1", body)
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == path


def test_a_deposit_is_in_its_sales_orders_currency(sim: NetSuiteSimulator, session: requests.Session) -> None:
    customer_resp = put(
        session, sim, "customer/eid:C_EU", customer_body(currencyList={"items": [{"currency": {"id": "2"}}]})
    )
    customer = customer_resp.headers["Location"].rsplit("/", 1)[1]
    order = order_body(customer, [sim.item_id("COF-1KG")], currency={"id": "2"})
    assert put(session, sim, "salesOrder/eid:SO1", order).status_code == 204
    order_id = sim.records("salesOrder")[0]["id"]
    deposit = {"customer": {"id": customer}, "payment": 10.0, "salesOrder": {"id": order_id}}
    resp = put(session, sim, "customerDeposit/eid:P1", {**deposit, "currency": {"id": "1"}})
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "currency"
    assert (
        put(session, sim, "customerDeposit/eid:P1", {**deposit, "currency": {"id": "2"}}).status_code == 204
    )


def paid_order(sim: NetSuiteSimulator, session: requests.Session, payment: float = 10.0) -> tuple[str, str]:
    """(customer id, deposit id) of an order with a deposit."""
    customer = new_customer(sim, session)
    assert (
        put(session, sim, "salesOrder/eid:SO1", order_body(customer, [sim.item_id("COF-1KG")])).status_code
        == 204
    )
    order_id = sim.records("salesOrder")[0]["id"]
    deposit = {"customer": {"id": customer}, "payment": payment, "salesOrder": {"id": order_id}}
    resp = put(session, sim, "customerDeposit/eid:P1", deposit)
    assert resp.status_code == 204
    return customer, resp.headers["Location"].rsplit("/", 1)[1]


def deposit_refund(customer: str, deposit: str, amount: float, **extra: Any) -> dict[str, Any]:
    lines = {"items": [{"doc": {"id": deposit}, "apply": True, "amount": amount}]}
    return {"customer": {"id": customer}, "account": {"id": "1"}, "deposit": lines, **extra}


def test_a_deposit_is_not_deposited_until_refunds_take_all_of_it(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer, deposit = paid_order(sim, session)
    (held,) = sim.records("customerDeposit")
    assert (held["status"]["id"], held["amountRemaining"]) == ("A", 10.0)
    assert (
        put(session, sim, "customerRefund/eid:R1", deposit_refund(customer, deposit, 4.0)).status_code == 204
    )
    assert (
        put(session, sim, "customerRefund/eid:R1", deposit_refund(customer, deposit, 4.0)).status_code == 204
    )
    (held,) = sim.records("customerDeposit")
    assert (held["status"]["id"], held["amountRemaining"]) == ("A", 6.0)  # the repeated upsert counts once
    (refund,) = sim.records("customerRefund")
    assert refund["total"] == 4.0
    assert len(refund["deposit"]["items"]) == 1  # lines keyed by the deposit
    assert (
        put(session, sim, "customerRefund/eid:R2", deposit_refund(customer, deposit, 6.0)).status_code == 204
    )
    assert sim.records("customerDeposit")[0]["status"]["id"] == "C"


def test_a_refund_beyond_what_remains_of_the_deposit_is_refused(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer, deposit = paid_order(sim, session)
    resp = put(session, sim, "customerRefund/eid:R1", deposit_refund(customer, deposit, 10.01))
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "deposit.items[0].amount"


def test_billing_the_order_applies_its_deposit_and_leaves_nothing_to_refund(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer, deposit = paid_order(sim, session)
    sim.fulfil("SO1", billed=True)
    assert sim.records("customerDeposit")[0]["status"]["id"] == "C"
    resp = put(session, sim, "customerRefund/eid:R1", deposit_refund(customer, deposit, 1.0))
    assert resp.status_code == 400


@pytest.mark.parametrize(
    ("change", "path"),
    [({"account": None}, "account"), ({"customer": None}, "customer"), ({"deposit": {"items": []}}, None)],
)
def test_a_customer_refund_needs_its_customer_account_and_a_deposit_applied(
    sim: NetSuiteSimulator, session: requests.Session, change: dict[str, Any], path: str | None
) -> None:
    customer, deposit = paid_order(sim, session)
    body = {k: v for k, v in {**deposit_refund(customer, deposit, 1.0), **change}.items() if v is not None}
    resp = put(session, sim, "customerRefund/eid:R1", body)
    assert resp.status_code == 400
    assert error_detail(resp).get("o:errorPath") == path


def test_a_customer_refund_cannot_return_another_customers_deposit(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    _, deposit = paid_order(sim, session)
    other = new_customer(sim, session, "C2")
    resp = put(session, sim, "customerRefund/eid:R1", deposit_refund(other, deposit, 1.0))
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "deposit.items[0].doc"


@pytest.mark.parametrize(("option", "ok"), [("7", True), ("9", False), ("99", False)])
def test_a_deposits_payment_option_is_an_active_payment_method(
    sim: NetSuiteSimulator, session: requests.Session, option: str, ok: bool
) -> None:
    customer = new_customer(sim, session)
    body = {"customer": {"id": customer}, "payment": 10.0, "paymentOption": {"id": option}}
    resp = put(session, sim, "customerDeposit/eid:P1", body)
    assert resp.status_code == (204 if ok else 400)
    if not ok:
        assert error_detail(resp)["o:errorPath"] == "paymentOption"


@pytest.mark.parametrize(("account", "ok"), [("1", True), ("2", False), ("4", False), ("99", False)])
def test_a_refund_is_paid_from_an_active_bank_account(
    sim: NetSuiteSimulator, session: requests.Session, account: str, ok: bool
) -> None:
    customer, deposit = paid_order(sim, session)
    resp = put(
        session, sim, "customerRefund/eid:R1", deposit_refund(customer, deposit, 1.0, account={"id": account})
    )
    assert resp.status_code == (204 if ok else 400)


def test_suiteql_lists_payment_methods_and_accounts(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    query = "SELECT id, name, isinactive FROM paymentmethod WHERE id IN (7, 9) ORDER BY id"
    resp = session.post(suiteql_url(sim), json={"q": query}, headers={"Prefer": "transient"})
    assert [(r["id"], r["isinactive"]) for r in resp.json()["items"]] == [("7", "F"), ("9", "T")]
    query = "SELECT id, accttype FROM account WHERE id = 1"
    resp = session.post(suiteql_url(sim), json={"q": query}, headers={"Prefer": "transient"})
    assert resp.json()["items"][0]["accttype"] == "Bank"


def test_transactions_share_one_external_id_space(sim: NetSuiteSimulator, session: requests.Session) -> None:
    """A refund booked as a credit memo cannot be booked again as a customer refund under its id."""
    customer, deposit = paid_order(sim, session)
    assert put(session, sim, "creditMemo/eid:WOO_REFUND_7", credit(customer, 1.0)).status_code == 204
    resp = put(session, sim, "customerRefund/eid:WOO_REFUND_7", deposit_refund(customer, deposit, 1.0))
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "externalId"
    assert sim.records("customerRefund") == []
