"""The simulator's SuiteTax engine: NetSuite taxes every line unless the order overrides the tax.

Each test is one behaviour of NetSuite's the mapping must not share assumptions with: own tax on
top of ours, the override and its tax details, rounding to the currency, sublist merge of details.
"""

from __future__ import annotations

from typing import Any

import requests

from devstack.netsuite_sim import NetSuiteSimulator
from tests.unit.netsuite_sim_support import customer_body, error_detail, record_url

DE = {"addressee": "Ada", "addr1": "Hauptstr. 1", "city": "Köln", "zip": "50667", "country": {"id": "DE"}}
US = {**DE, "country": {"id": "US"}, "state": "NY"}


def line(item: str, amount: float, ref: str | None = None, quantity: int = 1) -> dict[str, Any]:
    out: dict[str, Any] = {
        "item": {"id": item},
        "quantity": quantity,
        "rate": amount / quantity,
        "amount": amount,
    }
    if ref is not None:
        out["taxDetailsReference"] = ref
    return out


def detail(ref: str, amount: float, basis: float, code: str = "11") -> dict[str, Any]:
    return {
        "taxDetailsReference": ref,
        "taxCode": {"id": code},
        "taxBasis": basis,
        "taxRate": 19.0,
        "taxAmount": amount,
    }


def put_order(
    sim: NetSuiteSimulator, session: requests.Session, body: dict[str, Any], replace: str = "item"
) -> requests.Response:
    currencies = {"items": [{"currency": {"id": c}} for c in ("1", "2", "4")]}
    made = session.put(record_url(sim, "customer/eid:C1"), json=customer_body(currencyList=currencies))
    assert made.status_code == 204, made.text
    customer = made.headers["Location"].rsplit("/", 1)[1]
    base = {
        "entity": {"id": customer},
        "tranDate": "2025-03-14",
        "shippingAddress": DE,
        "currency": {"id": "2"},
    }
    url = record_url(sim, "salesOrder/eid:WOO_ORDER_1")
    return session.put(url, params={"replace": replace}, json={**base, **body})


def stored(sim: NetSuiteSimulator) -> dict[str, Any]:
    (order,) = sim.records("salesOrder")
    return order


def test_without_an_override_netsuite_taxes_every_line_at_the_nexus_rate(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    resp = put_order(sim, session, {"item": {"items": [line("101", 100.0), line("901", 4.9)]}})
    assert resp.status_code == 204, resp.text
    order = stored(sim)
    assert [d["taxAmount"] for d in order["taxDetails"]["items"]] == [19.0, 0.93]  # 0.931 rounded
    assert (order["subtotal"], order["taxTotal"], order["total"]) == (104.9, 19.93, 124.83)


def test_woocommerce_tax_sent_as_a_line_without_override_is_taxed_again(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    """The bug the issue starts from: 100 + 19 tax as an item line becomes 141.61, not 119."""
    put_order(sim, session, {"item": {"items": [line("101", 100.0), line("904", 19.0)]}})
    assert stored(sim)["total"] == 141.61


def test_outside_every_nexus_nothing_is_taxed(sim: NetSuiteSimulator, session: requests.Session) -> None:
    put_order(
        sim,
        session,
        {"shippingAddress": {**DE, "country": {"id": "BR"}}, "item": {"items": [line("101", 10.0)]}},
    )
    assert (stored(sim)["taxTotal"], stored(sim)["total"]) == (0.0, 10.0)


def test_the_override_books_the_details_as_sent(sim: NetSuiteSimulator, session: requests.Session) -> None:
    body = {
        "taxDetailsOverride": True,
        "item": {"items": [line("101", 39.8, "L1"), line("902", -3.98, "L2"), line("901", 4.9, "L3")]},
        "taxDetails": {
            "items": [detail("L1", 7.56, 39.8), detail("L2", -0.75, -3.98), detail("L3", 0.93, 4.9)]
        },
    }
    assert put_order(sim, session, body, replace="item,taxDetails").status_code == 204
    order = stored(sim)
    assert (order["subtotal"], order["taxTotal"], order["total"]) == (40.72, 7.74, 48.46)
    assert [d["taxAmount"] for d in order["taxDetails"]["items"]] == [7.56, -0.75, 0.93]


def test_an_override_without_details_books_no_tax(sim: NetSuiteSimulator, session: requests.Session) -> None:
    body = {"taxDetailsOverride": True, "item": {"items": [line("101", 100.0), line("904", 19.0)]}}
    put_order(sim, session, body)
    assert (stored(sim)["taxTotal"], stored(sim)["total"]) == (0.0, 119.0)


def test_details_must_name_a_line_and_an_active_tax_code(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    items = {"items": [line("101", 10.0, "L1")]}
    cases = [
        (detail("NOPE", 1.9, 10.0), "taxDetails.items[0].taxDetailsReference"),
        (detail("L1", 1.9, 10.0, code="17"), "taxDetails.items[0].taxCode"),  # inactive
        (detail("L1", 1.9, 10.0, code="999"), "taxDetails.items[0].taxCode"),
        ({"taxDetailsReference": "L1", "taxCode": {"id": "11"}}, "taxDetails.items[0].taxAmount"),
        ({**detail("L1", 1.9, 10.0), "taxAmount": "1.90"}, "taxDetails.items[0].taxAmount"),
    ]
    for bad, path in cases:
        body = {"taxDetailsOverride": True, "item": items, "taxDetails": {"items": [bad]}}
        resp = put_order(sim, session, body)
        assert resp.status_code == 400, bad
        assert error_detail(resp)["o:errorPath"] == path
    assert sim.records("salesOrder") == []


def test_header_shipping_is_taxed_under_the_shipping_reference(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    base = {"shipMethod": {"id": "951"}, "shippingCost": 4.9, "item": {"items": [line("101", 10.0, "L1")]}}
    put_order(sim, session, base)
    assert stored(sim)["total"] == 17.73  # 14.90 + 1.90 + 0.93: NetSuite taxes shipping too
    sim.reset()
    body = {**base, "taxDetailsOverride": True, "taxDetails": {"items": [detail("SHIPPING", 0.93, 4.9)]}}
    assert put_order(sim, session, body).status_code == 204
    assert stored(sim)["total"] == 15.83


def test_amounts_are_kept_in_the_currency_precision(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    body = {
        "currency": {"id": "4"},  # JPY: no decimals
        "shippingAddress": {**DE, "country": {"id": "JP"}},
        "item": {"items": [line("101", 100.4), {"item": {"id": "102"}, "quantity": 3, "rate": 33.5}]},
    }
    put_order(sim, session, body)
    order = stored(sim)
    assert [i["amount"] for i in order["item"]["items"]] == [100.0, 101.0]  # 100.4, and 3 x 33.5 = 100.5
    assert (order["taxTotal"], order["total"]) == (20.0, 221.0)  # 10% of each line, to the yen


def test_details_merge_on_update_unless_replaced(sim: NetSuiteSimulator, session: requests.Session) -> None:
    body = {
        "taxDetailsOverride": True,
        "item": {"items": [line("101", 10.0, "L1")]},
        "taxDetails": {"items": [detail("L1", 1.9, 10.0)]},
    }
    put_order(sim, session, body, replace="item,taxDetails")
    put_order(sim, session, body, replace="item")  # a careless update: details appended
    assert stored(sim)["taxTotal"] == 3.8
    put_order(sim, session, body, replace="item,taxDetails")
    assert (stored(sim)["taxTotal"], stored(sim)["total"]) == (1.9, 11.9)


def test_the_us_nexus_rate_has_three_decimals(sim: NetSuiteSimulator, session: requests.Session) -> None:
    put_order(
        sim,
        session,
        {"currency": {"id": "1"}, "shippingAddress": US, "item": {"items": [line("101", 19.99)]}},
    )
    assert stored(sim)["taxTotal"] == 1.77  # 8.875% of 19.99 = 1.7741
