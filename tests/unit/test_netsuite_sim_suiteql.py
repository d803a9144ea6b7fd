"""The simulator's SuiteQL endpoint: seeded and written records, paging, NetSuite's refusals."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from devstack.netsuite_sim.config import load_items
from tests.unit.netsuite_sim_support import (
    error_detail,
    new_customer,
    order_body,
    record_url,
    signed_session,
    suiteql_url,
)

TRANSIENT = {"Prefer": "transient"}


def query(sim: NetSuiteSimulator, session: requests.Session, q: str, **params: str) -> dict[str, Any]:
    resp = session.post(suiteql_url(sim), json={"q": q}, params=params, headers=TRANSIENT)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def test_seeded_items_are_found_by_itemid(sim: NetSuiteSimulator, session: requests.Session) -> None:
    page = query(
        sim, session, "SELECT id, itemid, itemtype FROM item WHERE itemid IN ('COF-1KG', 'SHIPPING', 'Bar3')"
    )
    rows = {row["itemid"]: row for row in page["items"]}
    assert set(rows) == {"COF-1KG", "SHIPPING", "Bar3"}
    assert rows["SHIPPING"] == {
        "links": [],
        "id": sim.item_id("SHIPPING"),
        "itemid": "SHIPPING",
        "itemtype": "Service",
    }
    assert rows["Bar3"]["itemtype"] == "NonInvtPart"
    assert (page["count"], page["totalResults"], page["hasMore"]) == (3, 3, False)


def test_items_added_at_runtime_are_visible(sim: NetSuiteSimulator, session: requests.Session) -> None:
    ids = sim.add_items([{"itemId": "GEN-SKU-1"}, {"type": "serviceItem", "itemId": "GEN-SVC"}])
    assert sim.add_items([{"itemId": "GEN-SKU-1"}]) == {"GEN-SKU-1": ids["GEN-SKU-1"]}  # idempotent
    page = query(sim, session, "SELECT id FROM item WHERE itemid = 'GEN-SKU-1'")
    assert page["items"] == [{"links": [], "id": ids["GEN-SKU-1"]}]


def test_paging_walks_every_row_once(sim: NetSuiteSimulator, session: requests.Session) -> None:
    q = "SELECT id FROM item ORDER BY id"
    total = query(sim, session, q)["totalResults"]
    seen: list[str] = []
    offset = 0
    while True:
        page = query(sim, session, q, limit="3", offset=str(offset))
        assert page["totalResults"] == total
        assert page["count"] <= 3
        seen += [row["id"] for row in page["items"]]
        if not page["hasMore"]:
            break
        offset += 3
    assert len(seen) == total == len(set(seen)) == len(load_items(None))


def test_written_orders_appear_in_transaction_tables(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    body = order_body(
        customer, ["101", "901"], otherRefNum="1234", custbody_woo_modified_gmt="2024-05-01T10:00:00"
    )
    session.put(record_url(sim, "salesOrder/eid:WOO_ORDER_1"), json=body)
    page = query(
        sim,
        session,
        "SELECT id, externalid, entity, type, otherrefnum, memo, custbody_woo_modified_gmt "
        "FROM transaction WHERE externalid = 'WOO_ORDER_1'",
    )
    (row,) = page["items"]
    assert row["entity"] == customer
    assert row["type"] == "SalesOrd"
    assert row["otherrefnum"] == "1234"
    assert row["custbody_woo_modified_gmt"] == "2024-05-01T10:00:00"
    assert "memo" not in row  # SuiteQL leaves NULL columns out of the row
    lines = query(
        sim,
        session,
        "SELECT item, quantity, rate, foreignamount, mainline, taxline FROM transactionline "  # noqa: S608
        f"WHERE transaction = {int(row['id'])} ORDER BY linesequencenumber",
    )
    # one main line without an item, then the item lines: quantity and amounts on the credit side
    assert [
        (r.get("item"), r.get("quantity"), r.get("foreignamount"), r["mainline"]) for r in lines["items"]
    ] == [
        (None, None, None, "T"),
        ("101", "-1", "-10", "F"),
        ("901", "-1", "-10", "F"),
    ]
    assert {r.get("rate") for r in lines["items"][1:]} == {"10"}
    assert {r["taxline"] for r in lines["items"]} == {"F"}
    total = query(sim, session, f"SELECT foreigntotal FROM transaction WHERE id = {int(row['id'])}")  # noqa: S608
    assert total["items"][0]["foreigntotal"] == "20"
    no_amount = session.post(
        suiteql_url(sim), json={"q": "SELECT amount FROM transactionline"}, headers=TRANSIENT
    )
    assert no_amount.status_code == 400  # SuiteQL has no transactionline.amount (netamount, foreignamount)


def test_without_prefer_transient_is_refused(sim: NetSuiteSimulator, session: requests.Session) -> None:
    resp = session.post(suiteql_url(sim), json={"q": "SELECT id FROM item"})
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorHeader"] == "Prefer"


def test_prefer_transient_can_be_made_optional() -> None:
    with NetSuiteSimulator(SimulatorConfig(require_prefer_transient=False)) as sim, signed_session(sim) as s:
        assert s.post(suiteql_url(sim), json={"q": "SELECT id FROM item"}).status_code == 200


@pytest.mark.parametrize(
    "q",
    [
        "DELETE FROM item",
        "UPDATE item SET itemid = 'x'",
        "SELECT nosuchcolumn FROM item",
        "SELECT 1; DROP TABLE item",
    ],
)
def test_only_valid_selects_run(sim: NetSuiteSimulator, session: requests.Session, q: str) -> None:
    resp = session.post(suiteql_url(sim), json={"q": q}, headers=TRANSIENT)
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorCode"] == "INVALID_PARAMETER"
    assert len(query(sim, session, "SELECT id FROM item")["items"]) == len(load_items(None))


def test_bad_paging_and_body_are_refused(sim: NetSuiteSimulator, session: requests.Session) -> None:
    too_big = session.post(
        suiteql_url(sim), json={"q": "SELECT id FROM item"}, params={"limit": "1001"}, headers=TRANSIENT
    )
    assert error_detail(too_big)["o:errorQueryParam"] == "limit"
    no_q = session.post(suiteql_url(sim), json={"query": "SELECT 1"}, headers=TRANSIENT)
    assert error_detail(no_q)["detail"] == "Invalid content in the request body."
