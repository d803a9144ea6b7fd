"""The simulator's account rules: currencies, matrix and inactive items, mandatory fields, phone and
email formats, and NetSuite's optimistic lock (record changed / duplicate) under concurrent writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from tests.unit.netsuite_sim_support import (
    customer_body,
    error_detail,
    new_customer,
    order_body,
    record_url,
    signed_session,
    suiteql_url,
)


@pytest.fixture(scope="module")
def racy() -> Iterator[NetSuiteSimulator]:
    """Saves held 0.3 s between load and save: concurrent saves of one record always collide."""
    with NetSuiteSimulator(SimulatorConfig(save_window_s=0.3)) as sim:
        yield sim


@pytest.fixture(scope="module")
def strict() -> Iterator[NetSuiteSimulator]:
    """An account whose sales-order form makes location, department and class mandatory."""
    with NetSuiteSimulator(SimulatorConfig(mandatory_fields=("location", "department", "class"))) as sim:
        yield sim


def rows(sim: NetSuiteSimulator, session: requests.Session, q: str) -> list[dict[str, Any]]:
    resp = session.post(suiteql_url(sim), json={"q": q}, headers={"Prefer": "transient"})
    assert resp.status_code == 200, resp.text
    return [{k: v for k, v in r.items() if k != "links"} for r in resp.json()["items"]]


def put_order(sim: NetSuiteSimulator, session: requests.Session, **extra: Any) -> requests.Response:
    customer = new_customer(sim, session)
    return session.put(record_url(sim, "salesOrder/eid:SO1"), json=order_body(customer, ["101"], **extra))


def test_currencies_are_a_suiteql_table_keyed_by_iso_symbol(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    found = rows(sim, session, "SELECT id, symbol, currencyprecision, isinactive FROM currency ORDER BY id")
    assert {r["symbol"]: (r["id"], r["currencyprecision"], r["isinactive"]) for r in found} == {
        "USD": ("1", "2", "F"),
        "EUR": ("2", "2", "F"),
        "GBP": ("3", "2", "F"),
        "JPY": ("4", "0", "F"),
        "CAD": ("5", "2", "F"),
        "CHF": ("6", "2", "T"),
    }


@pytest.mark.parametrize("currency", ["6", "99"])  # inactive, unknown
def test_an_order_in_an_inactive_or_unknown_currency_is_refused(
    sim: NetSuiteSimulator, session: requests.Session, currency: str
) -> None:
    resp = put_order(sim, session, currency={"id": currency})
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "currency"


def test_a_customer_is_invoiced_only_in_its_currencies(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    assert put_order(sim, session, currency={"id": "1"}).status_code == 204  # the base currency
    resp = put_order(sim, session, currency={"id": "2"})
    assert resp.status_code == 400
    assert (error_detail(resp)["o:errorCode"], error_detail(resp)["o:errorPath"]) == (
        "USER_ERROR",
        "currency",
    )
    euro = {"currencyList": {"items": [{"currency": {"id": "2"}}]}}
    for _ in range(2):  # the sublist is keyed by currency: sending it again adds no second line
        assert session.put(record_url(sim, "customer/eid:WOO_CUST_1"), json=euro).status_code == 204
    (customer,) = sim.records("customer")
    assert len(customer["currencyList"]["items"]) == 1
    assert put_order(sim, session, currency={"id": "2"}).status_code == 204


def test_a_matrix_parent_cannot_be_sold_only_its_children(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    resp = session.put(record_url(sim, "salesOrder/eid:SO1"), json=order_body(customer, ["108"]))
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "item.items[0].item"
    assert (
        session.put(record_url(sim, "salesOrder/eid:SO1"), json=order_body(customer, ["109"])).status_code
        == 204
    )
    found = rows(
        sim,
        session,
        "SELECT id, matrixtype, parent, isinactive FROM item WHERE itemid LIKE 'TEE%' ORDER BY id",
    )
    assert found == [
        {"id": "108", "matrixtype": "PARENT", "isinactive": "F"},
        {"id": "109", "matrixtype": "CHILD", "parent": "108", "isinactive": "F"},
        {"id": "110", "matrixtype": "CHILD", "parent": "108", "isinactive": "F"},
    ]
    assert rows(sim, session, "SELECT isinactive FROM item WHERE itemid = 'OLD-GRINDER'") == [
        {"isinactive": "T"}
    ]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("+49 221 5550100", True),
        ("(212) 555-0100 x12", True),
        ("555-0100", True),
        ("", True),
        ("n/a", False),
        ("12345", False),
        ("call me after 5pm 5550100", False),
        ("+49 221 5550100 5550100 5550100 55", False),  # over 32 characters
    ],
)
def test_phone_fields_need_seven_digits_and_no_words(
    sim: NetSuiteSimulator, session: requests.Session, value: str, ok: bool
) -> None:
    on_customer = session.put(record_url(sim, "customer/eid:C1"), json=customer_body(phone=value))
    book = {"items": [{"addressBookAddress": {"addr1": "x", "addrPhone": value}}]}
    in_address = session.put(record_url(sim, "customer/eid:C2"), json=customer_body(addressBook=book))
    assert (on_customer.status_code == 204, in_address.status_code == 204) == (ok, ok)
    if not ok:
        assert error_detail(on_customer)["o:errorPath"] == "phone"
        assert error_detail(in_address)["o:errorPath"] == "addressBook.items[0].addressBookAddress.addrPhone"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("ada@example.com", True),
        ("", True),
        ("ada@localhost", False),
        ("a da@x.de", False),
        ("jürgen@x.de", False),
    ],
)
def test_email_must_look_like_an_address_and_empty_is_accepted(
    sim: NetSuiteSimulator, session: requests.Session, value: str, ok: bool
) -> None:
    resp = session.put(record_url(sim, "customer/eid:C1"), json=customer_body(email=value))
    assert (resp.status_code == 204) == ok


def test_an_update_racing_another_save_of_the_record_is_told_it_changed(racy: NetSuiteSimulator) -> None:
    sim = racy
    with signed_session(sim) as session:
        new_customer(sim, session)
    answers = race(sim, lambda s: s.patch(record_url(sim, "customer/eid:WOO_CUST_1"), json={"comments": "x"}))
    assert sorted(a.status_code for a in answers) == [204, 400]
    (lost,) = [a for a in answers if a.status_code == 400]
    assert error_detail(lost)["o:errorCode"] == "RCRD_HAS_BEEN_CHANGED"


def test_two_creates_of_one_external_id_at_once_leave_one_record_and_a_duplicate_error(
    racy: NetSuiteSimulator,
) -> None:
    sim = racy
    url = record_url(sim, "customer/eid:WOO_CUST_9")
    answers = race(sim, lambda s: s.put(url, json=customer_body()))
    assert sorted(a.status_code for a in answers) == [204, 400]
    (lost,) = [a for a in answers if a.status_code == 400]
    assert (error_detail(lost)["o:errorCode"], error_detail(lost)["detail"]) == (
        "DUP_ENTITY",
        "This entity already exists.",
    )
    with signed_session(sim) as session:
        assert session.put(url, json=customer_body()).status_code == 204  # trying again updates it
    assert len([c for c in sim.records("customer") if c["externalId"] == "WOO_CUST_9"]) == 1


def race(sim: NetSuiteSimulator, call: Any) -> list[requests.Response]:
    """Two requests released together, each on its own signed session."""
    answers: list[requests.Response] = []
    start = threading.Barrier(2)

    def run() -> None:
        with signed_session(sim) as s:
            start.wait()
            answers.append(call(s))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return answers


def test_a_form_that_requires_location_department_and_class_refuses_orders_without(
    strict: NetSuiteSimulator,
) -> None:
    with signed_session(strict) as session:
        resp = put_order(strict, session)
        assert resp.status_code == 400
        assert (error_detail(resp)["detail"], error_detail(resp)["o:errorPath"]) == (
            "Please enter value(s) for: Location",
            "location",
        )
        refs = {name: {"id": "1"} for name in ("location", "department")}
        assert error_detail(put_order(strict, session, **refs))["o:errorPath"] == "class"
        assert put_order(strict, session, **refs, **{"class": {"id": "2"}}).status_code == 204
