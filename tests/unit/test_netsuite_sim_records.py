"""The simulator's record API: create/upsert/update/read/filter/delete and NetSuite's validation."""

from __future__ import annotations

import pytest
import requests

from devstack.netsuite_sim import NetSuiteSimulator
from tests.unit.netsuite_sim_support import (
    customer_body,
    error_detail,
    new_customer,
    order_body,
    record_url,
)


def test_create_answers_204_with_location_of_the_new_record(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    resp = session.post(record_url(sim, "customer"), json=customer_body(externalId="WOO_CUST_7"))
    assert resp.status_code == 204
    assert resp.content == b""
    location = resp.headers["Location"]
    assert location.startswith(record_url(sim, "customer/"))
    got = session.get(location)
    assert got.status_code == 200
    record = got.json()
    assert record["id"] == location.rsplit("/", 1)[1]
    assert record["externalId"] == "WOO_CUST_7"
    assert record["firstName"] == "Ada"


def test_post_with_an_existing_external_id_is_refused(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    assert (
        session.post(record_url(sim, "customer"), json=customer_body(externalId="WOO_CUST_7")).status_code
        == 204
    )
    resp = session.post(record_url(sim, "customer"), json=customer_body(externalId="WOO_CUST_7"))
    assert resp.status_code == 400
    detail = error_detail(resp)
    assert (detail["o:errorCode"], detail["detail"]) == ("USER_ERROR", "This entity already exists.")
    assert len(sim.records("customer")) == 1


def test_upsert_creates_then_updates_the_same_record(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    url = record_url(sim, "customer/eid:WOO_CUST_1")
    first = session.put(url, json=customer_body())
    second = session.put(url, json={"phone": "555-0100"})
    assert first.status_code == second.status_code == 204
    assert first.headers["Location"] == second.headers["Location"]
    (record,) = sim.records("customer")
    assert (record["firstName"], record["phone"], record["externalId"]) == ("Ada", "555-0100", "WOO_CUST_1")


def test_upsert_without_replace_appends_lines_and_with_replace_keeps_them(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    body = order_body(customer, [sim.item_id("COF-1KG"), sim.item_id("SHIPPING")])
    url = record_url(sim, "salesOrder/eid:WOO_ORDER_1")
    for _ in range(2):
        assert session.put(url, json=body).status_code == 204
    (order,) = sim.records("salesOrder")
    assert len(order["item"]["items"]) == 4  # NetSuite merges sublists: a careless retry doubles lines
    for _ in range(2):
        assert session.put(url, json=body, params={"replace": "item"}).status_code == 204
    (order,) = sim.records("salesOrder")
    assert [line["line"] for line in order["item"]["items"]] == [1, 2]
    assert order["total"] == 20.0


def test_get_renders_sublists_as_links_unless_expanded(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    url = record_url(sim, "salesOrder/eid:WOO_ORDER_2")
    session.put(
        url,
        json=order_body(customer, [sim.item_id("MUG-BLUE")], custbody_woo_modified_gmt="2024-05-01T10:00:00"),
    )
    plain = session.get(url).json()
    assert plain["item"] == {
        "links": [{"rel": "self", "href": f"{record_url(sim, 'salesOrder')}/{plain['id']}/item"}]
    }
    assert plain["entity"] == {"id": customer}
    assert plain["custbody_woo_modified_gmt"] == "2024-05-01T10:00:00"
    expanded = session.get(url, params={"expandSubResources": "true"}).json()
    (line,) = expanded["item"]["items"]
    assert line["item"] == {"id": sim.item_id("MUG-BLUE")}
    only_id = session.get(url, params={"fields": "id"}).json()
    assert set(only_id) == {"links", "id"}


def test_missing_record_is_404_nonexistent_id(sim: NetSuiteSimulator, session: requests.Session) -> None:
    for path in ("salesOrder/eid:WOO_ORDER_404", "salesOrder/999999"):
        resp = session.get(record_url(sim, path))
        assert resp.status_code == 404
        assert error_detail(resp)["o:errorCode"] == "NONEXISTENT_ID"


def test_put_needs_an_external_id(sim: NetSuiteSimulator, session: requests.Session) -> None:
    customer = new_customer(sim, session)
    resp = session.put(record_url(sim, f"customer/{customer}"), json={"phone": "1"})
    assert resp.status_code == 405
    error_detail(resp)


def test_patch_updates_by_id_and_by_external_id(sim: NetSuiteSimulator, session: requests.Session) -> None:
    customer = new_customer(sim, session)
    assert (
        session.patch(record_url(sim, f"customer/{customer}"), json={"phone": "555-0199"}).status_code == 204
    )
    assert (
        session.patch(record_url(sim, "customer/eid:WOO_CUST_1"), json={"email": "x@example.com"}).status_code
        == 204
    )
    (record,) = sim.records("customer")
    assert (record["phone"], record["email"]) == ("555-0199", "x@example.com")
    assert session.patch(record_url(sim, "customer/eid:NOPE"), json={"phone": "1"}).status_code == 404


def test_delete_answers_204_and_the_record_is_gone(sim: NetSuiteSimulator, session: requests.Session) -> None:
    customer = new_customer(sim, session)
    resp = session.delete(record_url(sim, f"customer/{customer}"))
    assert resp.status_code == 204
    assert session.get(record_url(sim, f"customer/{customer}")).status_code == 404


def test_q_filters_by_external_id_and_email(sim: NetSuiteSimulator, session: requests.Session) -> None:
    ids = [new_customer(sim, session, f"WOO_CUST_{n}") for n in range(3)]
    session.patch(record_url(sim, f"customer/{ids[1]}"), json={"email": "bob@example.com"})
    url = record_url(sim, "customer")
    page = session.get(url, params={"q": 'externalId IS "WOO_CUST_2"'}).json()
    assert [item["id"] for item in page["items"]] == [ids[2]]
    assert (page["count"], page["totalResults"], page["hasMore"], page["offset"]) == (1, 1, False, 0)
    both = session.get(url, params={"q": 'email IS "bob@example.com" AND externalId IS "WOO_CUST_1"'}).json()
    assert [item["id"] for item in both["items"]] == [ids[1]]
    none = session.get(url, params={"q": 'email IS "bob@example.com" AND externalId IS "WOO_CUST_0"'}).json()
    assert none["items"] == []
    assert none["totalResults"] == 0


@pytest.mark.parametrize(
    "q", ["externalId IS", 'externalId LIKE "x"', 'nosuchfield IS "x"', '"x"', 'externalId IS "x" AND']
)
def test_malformed_q_is_invalid_parameter(sim: NetSuiteSimulator, session: requests.Session, q: str) -> None:
    resp = session.get(record_url(sim, "customer"), params={"q": q})
    assert resp.status_code == 400
    detail = error_detail(resp)
    assert (detail["o:errorCode"], detail["o:errorQueryParam"]) == ("INVALID_PARAMETER", "q")


def test_collection_paging(sim: NetSuiteSimulator, session: requests.Session) -> None:
    ids = [new_customer(sim, session, f"WOO_CUST_{n}") for n in range(5)]
    url = record_url(sim, "customer")
    seen: list[str] = []
    offset = 0
    while True:
        page = session.get(url, params={"limit": "2", "offset": str(offset)}).json()
        assert page["totalResults"] == 5
        assert page["offset"] == offset
        seen += [item["id"] for item in page["items"]]
        if not page["hasMore"]:
            break
        assert any(link["rel"] == "next" for link in page["links"])
        offset += 2
    assert seen == ids
    assert session.get(url, params={"limit": "1001"}).status_code == 400
    bad_offset = session.get(url, params={"limit": "2", "offset": "1"})  # NetSuite wants multiples of limit
    assert error_detail(bad_offset)["o:errorQueryParam"] == "offset"


def test_bad_entity_reference_is_user_error_at_entity(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    resp = session.put(
        record_url(sim, "salesOrder/eid:WOO_ORDER_3"), json=order_body("424242", [sim.item_id("COF-1KG")])
    )
    assert resp.status_code == 400
    detail = error_detail(resp)
    assert (detail["o:errorCode"], detail["o:errorPath"]) == ("USER_ERROR", "entity")
    assert sim.records("salesOrder") == []


@pytest.mark.parametrize(
    ("line_patch", "path"),
    [
        ({"item": {"id": "999999"}}, "item.items[1].item"),
        ({"item": {"id": "107"}}, "item.items[1].item"),  # OLD-GRINDER is inactive
        ({"item": {"externalId": "ITEM_COF-1KG"}}, "item.items[1].item"),
        ({"quantity": 0}, "item.items[1].quantity"),
        ({"quantity": "2"}, "item.items[1].quantity"),
        ({"amount": "10.00"}, "item.items[1].amount"),
    ],
)
def test_bad_line_is_user_error_at_its_path(
    sim: NetSuiteSimulator, session: requests.Session, line_patch: dict[str, object], path: str
) -> None:
    customer = new_customer(sim, session)
    body = order_body(customer, [sim.item_id("COF-1KG"), sim.item_id("MUG-RED")])
    body["item"]["items"][1].update(line_patch)
    resp = session.put(record_url(sim, "salesOrder/eid:WOO_ORDER_4"), json=body)
    assert resp.status_code == 400
    detail = error_detail(resp)
    assert (detail["o:errorCode"], detail["o:errorPath"]) == ("USER_ERROR", path)


def test_a_line_named_by_its_number_is_changed_in_place(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    """Oracle, "Updating a Sublist": a line sent with its `line` changes that line (its item stays);
    a `line` that names no existing line is a new line, which needs an item."""
    customer = new_customer(sim, session)
    body = order_body(customer, [sim.item_id("COF-1KG"), sim.item_id("MUG-RED")])
    assert session.put(record_url(sim, "salesOrder/eid:WOO_ORDER_5"), json=body).status_code == 204
    change = {"item": {"items": [{"line": 2, "amount": 25.0}]}}
    assert session.patch(record_url(sim, "salesOrder/eid:WOO_ORDER_5"), json=change).status_code == 204
    (record,) = sim.records("salesOrder")
    assert [(line["item"]["id"], line["amount"]) for line in record["item"]["items"]] == [
        (sim.item_id("COF-1KG"), 10.0),
        (sim.item_id("MUG-RED"), 25.0),
    ]
    assert record["total"] == 35.0
    unknown = {"item": {"items": [{"line": 9, "amount": 1.0}]}}
    resp = session.patch(record_url(sim, "salesOrder/eid:WOO_ORDER_5"), json=unknown)
    assert error_detail(resp)["o:errorPath"] == "item.items[2].item"


def test_order_without_lines_or_customer_is_refused(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    no_lines = session.post(record_url(sim, "salesOrder"), json=order_body(customer, []))
    assert error_detail(no_lines)["o:errorPath"] == "item"
    no_entity = session.post(
        record_url(sim, "salesOrder"), json={"item": order_body(customer, ["101"])["item"]}
    )
    assert error_detail(no_entity)["o:errorPath"] == "entity"


def test_over_long_values_are_rejected_not_truncated(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    body = order_body(
        customer, [sim.item_id("COF-1KG")], shippingAddress={"addr1": "x" * 151, "city": "Paris"}
    )
    resp = session.put(record_url(sim, "salesOrder/eid:WOO_ORDER_5"), json=body)
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "shippingAddress.addr1"
    body["shippingAddress"]["addr1"] = "x" * 150
    assert session.put(record_url(sim, "salesOrder/eid:WOO_ORDER_5"), json=body).status_code == 204
    long_name = session.put(
        record_url(sim, "customer/eid:WOO_CUST_9"), json=customer_body(firstName="y" * 33)
    )
    assert error_detail(long_name)["o:errorPath"] == "firstName"
    book = {"items": [{"defaultBilling": True, "addressBookAddress": {"zip": "9" * 37}}]}
    zip_resp = session.put(record_url(sim, "customer/eid:WOO_CUST_9"), json=customer_body(addressBook=book))
    assert error_detail(zip_resp)["o:errorPath"] == "addressBook.items[0].addressBookAddress.zip"


def test_customer_needs_names_or_company(sim: NetSuiteSimulator, session: requests.Session) -> None:
    person = session.put(
        record_url(sim, "customer/eid:WOO_CUST_8"), json={"isPerson": True, "firstName": "A"}
    )
    assert error_detail(person)["o:errorPath"] == "lastName"
    company = session.put(
        record_url(sim, "customer/eid:WOO_CUST_8"), json={"isPerson": False, "firstName": "A"}
    )
    assert error_detail(company)["o:errorPath"] == "companyName"
    ok = session.put(
        record_url(sim, "customer/eid:WOO_CUST_8"), json={"isPerson": False, "companyName": "ACME"}
    )
    assert ok.status_code == 204


def test_external_id_characters_are_limited(sim: NetSuiteSimulator, session: requests.Session) -> None:
    resp = session.post(record_url(sim, "customer"), json=customer_body(externalId="WOO GUEST a@b.c"))
    assert error_detail(resp)["o:errorPath"] == "externalId"


def test_unknown_properties_are_ignored_unless_validation_is_asked(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    url = record_url(sim, "customer/eid:WOO_CUST_1")
    declared = "custentity_woo_order_created_gmt"  # a custom field the account defines (config)
    body = customer_body(favouriteColour="blue", custentity_woo_id="1", **{declared: "x #1"})
    assert session.put(url, json=body).status_code == 204
    (record,) = sim.records("customer")
    assert "favouriteColour" not in record
    assert "custentity_woo_id" not in record  # a custom field the account does not define: dropped
    assert record[declared] == "x #1"
    strict = {"X-NetSuite-PropertyNameValidation": "Error"}
    resp = session.put(url, json=customer_body(favouriteColour="blue"), headers=strict)
    assert resp.status_code == 400
    assert error_detail(resp)["o:errorPath"] == "favouriteColour"
    undefined = session.put(url, json=customer_body(custentity_woo_id="1"), headers=strict)
    assert error_detail(undefined)["o:errorPath"] == "custentity_woo_id"
    customer = sim.records("customer")[0]["id"]
    body = order_body(customer, ["101"], shippingAddress={"addr1": "1 Main St", "colour": "red"})
    nested = session.put(record_url(sim, "salesOrder/eid:WOO_ORDER_6"), json=body, headers=strict)
    assert error_detail(nested)["o:errorPath"] == "shippingAddress.colour"


@pytest.mark.parametrize("payload", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_body_is_invalid_content(
    sim: NetSuiteSimulator, session: requests.Session, payload: bytes
) -> None:
    resp = session.post(
        record_url(sim, "customer"), data=payload, headers={"Content-Type": "application/json"}
    )
    assert resp.status_code == 400
    assert error_detail(resp)["detail"] == "Invalid content in the request body."


def test_one_keep_alive_connection_serves_every_answer(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)  # 204, no body
    session.get(record_url(sim, f"customer/{customer}"))  # 200
    session.get(record_url(sim, "customer/1"))  # 404
    session.post(record_url(sim, "customer"), json={})  # 400
    session.delete(record_url(sim, f"customer/{customer}"))  # 204
    stats = sim.stats()
    assert stats["requests"] == 5
    assert stats["connections"] == 1
    assert stats["by_status"] == {200: 1, 204: 2, 400: 1, 404: 1}
    assert stats["records"]["customer"] == 0


def test_a_sales_order_is_closed_once_every_line_is_closed(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    """Oracle, "Use Case For Updating Your Sales Order": `{"line": n, "isclosed": true}` closes a line;
    with every line closed the order shows as Closed (its lines and total stay)."""
    customer = new_customer(sim, session)
    body = order_body(customer, [sim.item_id("COF-1KG"), sim.item_id("MUG-RED")])
    url = record_url(sim, "salesOrder/eid:WOO_ORDER_6")
    assert session.put(url, json=body).status_code == 204
    assert sim.records("salesOrder")[0]["status"]["refName"] == "Pending Fulfillment"
    assert session.patch(url, json={"item": {"items": [{"line": 1, "isClosed": True}]}}).status_code == 204
    (record,) = sim.records("salesOrder")
    assert [line.get("isClosed") for line in record["item"]["items"]] == [True, None]
    assert record["status"]["refName"] == "Pending Fulfillment"  # one line still open
    assert session.patch(url, json={"item": {"items": [{"line": 2, "isClosed": True}]}}).status_code == 204
    (record,) = sim.records("salesOrder")
    assert record["status"] == {"id": "H", "refName": "Closed"}
    assert record["total"] == 20.0  # 10.00 + 10.00 (order_body), closing does not remove lines


def test_fulfilled_lines_cannot_be_replaced_but_the_header_and_named_lines_can_change(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    """A warehouse fulfilled the order: `?replace=item` (which drops every line it does not name) is
    refused at `item`; a header change, or a line named by its `line`, still goes through."""
    customer = new_customer(sim, session)
    body = order_body(customer, [sim.item_id("COF-1KG"), sim.item_id("MUG-RED")])
    url = record_url(sim, "salesOrder/eid:WOO_ORDER_7")
    assert session.put(url, json=body).status_code == 204
    assert session.put(url, params={"replace": "item"}, json=body).status_code == 204  # not fulfilled yet
    sim.fulfil("WOO_ORDER_7")
    assert sim.records("salesOrder")[0]["status"]["refName"] == "Pending Billing"
    refused = session.put(url, params={"replace": "item"}, json=body)
    assert (error_detail(refused)["o:errorCode"], error_detail(refused)["o:errorPath"]) == (
        "USER_ERROR",
        "item",
    )
    assert session.put(url, json={"memo": "changed after shipping"}).status_code == 204
    assert session.patch(url, json={"item": {"items": [{"line": 1, "isClosed": True}]}}).status_code == 204
    (record,) = sim.records("salesOrder")
    assert record["memo"] == "changed after shipping"
    assert [line["quantityFulfilled"] for line in record["item"]["items"]] == [1, 1]
    sim.fulfil("WOO_ORDER_7", billed=True)
    assert sim.records("salesOrder")[0]["status"]["refName"] == "Billed"
