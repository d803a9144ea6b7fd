"""The order → NetSuite record mapping on the reference samples and hand-made edge cases.

Property-based checks over generated orders live in test_records_properties.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from consumer.errors import Unmappable
from consumer.netsuite.addresses import cut, pieces, width
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.records import (
    MappedRecord,
    customer_external_id,
    map_customer,
    map_sales_order,
    required_skus,
    sales_order_external_id,
)
from consumer.netsuite.settings import MappingPolicy
from schemas.order import WooOrder

SAMPLES = Path(__file__).resolve().parents[1] / "data"  # copies of shared/reference/samples
POLICY = MappingPolicy(
    subsidiary_id="3",
    shipping_item_id="SHIP",
    discount_item_id="DISC",
    fee_item_id="FEE",
    tax_item_id="TAX",
    rounding_item_id="ROUND",
    tax_code_map={"1": "11", "75": "13"},  # the samples' rates: DE MwSt. 19 %, US-CA state tax
)
LINE_MODE = MappingPolicy(**{**POLICY.__dict__, "tax_mode": "line"})
EUR = CurrencyRef("EUR", 2, "2")
ITEMS = {"COF-1KG": "101", "MUG-BLUE": "102", "WOO-SINGLE-1": "201", "Bar3": "202"}


def raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / name).read_bytes())
    return data


def order_4711(**changes: Any) -> WooOrder:
    return WooOrder.model_validate({**raw("woo_order_created_body.json"), **changes})


def docs_order(sku_315: str = "") -> WooOrder:
    data = raw("woo_order_v3_docs_example.json")
    data["line_items"][0]["sku"] = sku_315
    return WooOrder.model_validate(data)


def so(order: WooOrder, policy: MappingPolicy = POLICY, items: dict[str, str] = ITEMS) -> MappedRecord:
    return map_sales_order(order, customer_id="647", item_ids=items, policy=policy)


def line(item: str, qty: int, rate: float, amount: float, description: str, ref: str = "") -> dict[str, Any]:
    out = {"item": {"id": item}, "quantity": qty, "rate": rate, "amount": amount, "description": description}
    return {**out, "taxDetailsReference": ref} if ref else out


def detail(ref: str, basis: float, amount: float, code: str = "11", rate: float = 19.0) -> dict[str, Any]:
    return {
        "taxDetailsReference": ref,
        "taxCode": {"id": code},
        "taxBasis": basis,
        "taxAmount": amount,
        "taxRate": rate,
    }


def addr(addressee: str, attention: str, street: str, city: str, state: str, zip_: str, **kw: Any) -> Any:
    return {
        "addressee": addressee,
        "attention": attention,
        "addr1": street,
        "addr2": kw.get("addr2", ""),
        "addr3": "",
        "city": city,
        "state": state,
        "zip": zip_,
        "country": {"id": kw["country"]},
        "addrPhone": kw.get("phone", ""),
    }


KOELN_BILLING = addr(
    "Müller Rösterei GmbH",
    "Jürgen Müller",
    "Hauptstraße 5",
    "Köln",
    "",
    "50667",
    addr2="Hinterhaus",
    country="DE",
    phone="+49 221 5550100",
)
KOELN_SHIPPING = addr(
    "Jürgen Müller", "", "Hauptstraße 5", "Köln", "", "50667", addr2="Hinterhaus", country="DE"
)


# --- the modern sample: 39.80 + 12.50 - 5.23 + 4.90 + 2.00 + tax 10.25 = 64.22 ---------------------


def test_sample_4711_sales_order_is_exactly_the_expected_record() -> None:
    record = map_sales_order(order_4711(), customer_id="647", item_ids=ITEMS, policy=POLICY, currency=EUR)

    assert record.record_type == "salesOrder"
    assert record.external_id == "WOO_ORDER_4711"
    assert record.warnings == ()
    assert record.body == {
        "externalId": "WOO_ORDER_4711",
        "entity": {"id": "647"},
        "otherRefNum": "4711",
        "tranDate": "2025-03-14",  # date_created, the shop's time (10:15 in Köln)
        "subsidiary": {"id": "3"},
        "currency": {"id": "2"},
        "orderStatus": {"id": "B"},
        "memo": "WooCommerce Order #4711\nPayment: Credit / Debit Card (stripe)\n"
        "Transaction: pi_3Example000000000000\nCoupons: spring10\n"
        "Customer note: Bitte klingeln / please ring",
        "billingAddress": KOELN_BILLING,
        "shippingAddress": KOELN_SHIPPING,
        "item": {
            "items": [
                # gross (subtotal) 39.80 for 2; the coupon comes off in the discount line
                line("101", 2, 19.90, 39.80, "Organic Coffee Beans \u2013 1kg", "L1"),
                # "Color: Blue" is already in the name; _reduced_stock is hidden meta
                line("102", 1, 12.50, 12.50, "Ceramic Mug - Blue", "L2"),
                # Σ subtotal 52.30 - Σ total 47.07 (= discount_total 5.23)
                line("DISC", 1, -5.23, -5.23, "Discount (spring10)", "L3"),
                line("SHIP", 1, 4.90, 4.90, "Flat rate", "L4"),
                line("FEE", 1, 2.00, 2.00, "Gift wrap", "L5"),
            ]
        },
        "taxDetailsOverride": True,
        "taxDetails": {
            "items": [
                # taxes[]: 7.562 on the gross, 2.375 (rounded down: see below), the coupons took
                # 0.7562 + 0.2375 off, shipping 0.931, fee 0.38. Rounded one by one they make 10.26;
                # WooCommerce rounds at the subtotal (tax_total 9.32 + shipping 0.93 = 10.25), so
                # the cent comes off the share rounding moved up most (2.375 → 2.37)
                detail("L1", 39.80, 7.56),
                detail("L2", 12.50, 2.37),
                detail("L3", -5.23, -0.99),
                detail("L4", 4.90, 0.93),
                detail("L5", 2.00, 0.38),
            ]
        },
        "custbody_woo_modified_gmt": "2025-03-14T09:15:36",
    }
    items, details = record.body["item"]["items"], record.body["taxDetails"]["items"]
    assert round(sum(i["amount"] for i in items) + sum(d["taxAmount"] for d in details), 2) == 64.22


def test_sample_4711_in_line_mode_overrides_tax_with_no_details_and_one_tax_line() -> None:
    record = so(order_4711(), LINE_MODE)
    items = record.body["item"]["items"]
    assert items[-1] == line("TAX", 1, 10.25, 10.25, "Tax (MwSt.)")  # cart_tax 9.32 + shipping_tax 0.93
    assert "taxDetailsReference" not in items[0]
    assert record.body["taxDetailsOverride"] is True
    assert "taxDetails" not in record.body
    assert round(sum(i["amount"] for i in items), 2) == 64.22


def test_sample_4711_customer_is_one_person_with_the_company_and_two_addresses() -> None:
    record = map_customer(order_4711(), POLICY, EUR)

    assert record.record_type == "customer"
    assert record.external_id == "WOO_CUST_58"
    assert record.warnings == ()
    assert record.body == {
        "externalId": "WOO_CUST_58",
        "isPerson": True,  # NETSUITE_CUSTOMER_TYPE=individual: never flips with the company field
        "firstName": "Jürgen",
        "lastName": "Müller",
        "companyName": "Müller Rösterei GmbH",
        "email": "j.mueller@example.com",
        "phone": "+49 221 5550100",
        "subsidiary": {"id": "3"},
        "currencyList": {"items": [{"currency": {"id": "2"}}]},
        "addressBook": {
            "items": [
                {"defaultBilling": True, "defaultShipping": False, "addressBookAddress": KOELN_BILLING},
                {"defaultBilling": False, "defaultShipping": True, "addressBookAddress": KOELN_SHIPPING},
            ]
        },
        # which order the customer's data comes from (consumer.pipeline.versions)
        "custentity_woo_order_created_gmt": "2025-03-14T09:15:30 #4711",
    }


def test_sample_4711_skus_and_ids() -> None:
    order = order_4711()
    assert required_skus(order) == ["COF-1KG", "MUG-BLUE"]
    assert sales_order_external_id(order) == "WOO_ORDER_4711"
    assert customer_external_id(order) == "WOO_CUST_58"


def test_sample_4711_as_guest_is_keyed_by_escaped_email() -> None:
    assert customer_external_id(order_4711(customer_id=0)) == "WOO_GUEST_j_mueller-at-example_com"


def test_sample_4711_in_netsuite_tax_mode_leaves_tax_out() -> None:
    record = so(
        order_4711(),
        MappingPolicy(shipping_item_id="S", discount_item_id="D", fee_item_id="F", tax_mode="netsuite"),
    )
    amounts = [item["amount"] for item in record.body["item"]["items"]]
    assert amounts == [39.80, 12.50, -5.23, 4.90, 2.00]
    assert round(sum(amounts), 2) == round(64.22 - 10.25, 2)
    assert record.body["taxDetailsOverride"] is False  # NetSuite computes; the writer records the variance
    assert "subsidiary" not in record.body
    assert "currency" not in record.body  # no currency resolved


# --- the REST docs example: line 315 has no SKU -----------------------------------------------------


def test_docs_example_without_sku_is_unmappable_naming_the_line() -> None:
    with pytest.raises(Unmappable, match="line 315 has no SKU"):
        required_skus(docs_order())
    with pytest.raises(Unmappable, match="line 315 has no SKU"):
        so(docs_order())


def test_docs_example_with_sku_patched_in() -> None:
    order = docs_order("WOO-SINGLE-1")
    assert required_skus(order) == ["WOO-SINGLE-1", "Bar3"]
    record = so(order, MappingPolicy(shipping_item_id="SHIP", tax_item_id="TAX", tax_mode="line"))
    us = addr("John Doe", "", "969 Market", "San Francisco", "CA", "94103", country="US")
    assert record.body == {
        "externalId": "WOO_ORDER_727",
        "entity": {"id": "647"},
        "otherRefNum": "727",
        "tranDate": "2017-03-22",
        "orderStatus": {"id": "B"},
        "memo": "WooCommerce Order #727\nPayment: Direct Bank Transfer (bacs)",
        "billingAddress": {**us, "addrPhone": "(555) 555-5555"},
        "shippingAddress": us,
        "item": {
            "items": [
                line("201", 2, 3.00, 6.00, "Woo Single #1"),
                line("202", 1, 12.00, 12.00, "Ship Your Idea \u2013 Color: Black, Size: M Test"),
                line("SHIP", 1, 10.00, 10.00, "Flat Rate"),
                line("TAX", 1, 1.35, 1.35, "Tax (State Tax)"),
            ]
        },
        "taxDetailsOverride": True,
        "custbody_woo_modified_gmt": "2017-03-22T19:28:08",
    }  # 6.00 + 12.00 + 10.00 + 1.35 = 29.35, no discount so no discount item needed
    assert record.warnings == ()


def test_docs_example_guest_customer_is_one_person_entry() -> None:
    record = map_customer(docs_order("WOO-SINGLE-1"), MappingPolicy())
    us = addr("John Doe", "", "969 Market", "San Francisco", "CA", "94103", country="US")
    assert record.external_id == "WOO_GUEST_john_doe-at-example_com"
    assert record.body == {
        "externalId": "WOO_GUEST_john_doe-at-example_com",
        "isPerson": True,
        "firstName": "John",
        "lastName": "Doe",
        "companyName": "",  # always present: an update clears a company the customer no longer has
        "email": "john.doe@example.com",
        "phone": "(555) 555-5555",
        # the shipping address only lacks the phone: one entry, both defaults
        "addressBook": {
            "items": [
                {
                    "defaultBilling": True,
                    "defaultShipping": True,
                    "addressBookAddress": {**us, "addrPhone": "(555) 555-5555"},
                }
            ]
        },
        "custentity_woo_order_created_gmt": "2017-03-22T19:28:02 #727",
    }


# --- external ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("  J.Mueller@Example.COM ", "WOO_GUEST_j_mueller-at-example_com"),
        ("a_b+c@x.de", "WOO_GUEST_a-5fb-2bc-at-x_de"),
        ("jürgen@köln.de", "WOO_GUEST_j-c3-bcrgen-at-k-c3-b6ln_de"),
    ],
)
def test_guest_external_id_escaping(email: str, expected: str) -> None:
    assert customer_external_id(order_4711(customer_id=0, billing={"email": email})) == expected


def test_long_guest_email_is_shortened_with_a_hash() -> None:
    one = "x" * 300 + "@example.com"
    two = "x" * 300 + "@example.org"
    ids = [customer_external_id(order_4711(customer_id=0, billing={"email": e})) for e in (one, two)]
    assert all(len(i) == 200 and "--h" in i for i in ids)
    assert ids[0] != ids[1]
    assert ids[0][:181] == ids[1][:181]


def test_guest_without_email_is_unmappable() -> None:
    with pytest.raises(Unmappable, match=r"billing\.email"):
        customer_external_id(order_4711(customer_id=0, billing={"email": "  "}))
    with pytest.raises(Unmappable):
        map_customer(order_4711(customer_id=0, billing={}), POLICY)


# --- configuration and data errors ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "setting"),
    [
        ("shipping_item_id", "NETSUITE_SHIPPING_ITEM_ID"),
        ("discount_item_id", "NETSUITE_DISCOUNT_ITEM_ID"),
        ("fee_item_id", "NETSUITE_FEE_ITEM_ID"),
        ("tax_item_id", "NETSUITE_TAX_ITEM_ID"),
        ("tax_code_map", "NETSUITE_TAX_CODE_MAP"),
    ],
)
def test_missing_item_setting_is_unmappable_naming_it(missing: str, setting: str) -> None:
    tax_mode = "line" if missing == "tax_item_id" else "suitetax"
    policy = MappingPolicy(
        **{**POLICY.__dict__, missing: {} if missing == "tax_code_map" else None, "tax_mode": tax_mode}
    )
    with pytest.raises(Unmappable, match=setting):
        so(order_4711(), policy)


def test_unknown_sku_is_unmappable() -> None:
    with pytest.raises(Unmappable, match="unknown SKU 'MUG-BLUE'"):
        so(order_4711(), items={"COF-1KG": "101"})


def test_inconsistent_total_is_unmappable_with_both_figures() -> None:
    with pytest.raises(Unmappable, match=r"add up to 64\.22 but the order says 64\.29"):
        so(order_4711(total="64.29"))  # 7 cents: beyond ROUNDING_TOLERANCE (0.05)


def test_negative_total_is_unmappable() -> None:
    with pytest.raises(Unmappable, match="negative"):
        so(order_4711(total="-1.00"))


def test_missing_dates_are_unmappable() -> None:
    with pytest.raises(Unmappable, match="date_created"):
        so(order_4711(date_created_gmt=None, date_created=None))
    with pytest.raises(Unmappable, match="date_modified_gmt"):
        so(order_4711(date_modified_gmt=None))


def test_discount_total_mismatch_only_warns() -> None:
    record = so(order_4711(discount_total="5.24"))
    assert any("discount_total" in w for w in record.warnings)


def test_zero_quantity_line_without_money_is_left_out() -> None:
    data = raw("woo_order_created_body.json")
    extra = {"id": 999, "name": "Gone", "quantity": 0, "sku": "", "subtotal": "0.00", "total": "0.00"}
    data["line_items"].append(extra)
    order = WooOrder.model_validate(data)
    assert required_skus(order) == ["COF-1KG", "MUG-BLUE"]
    record = so(order)
    assert len(record.body["item"]["items"]) == 5
    assert any("line 999" in w for w in record.warnings)
    extra["total"] = extra["subtotal"] = "1.00"
    with pytest.raises(Unmappable, match="line 999 has quantity 0"):
        so(WooOrder.model_validate(data))


def test_line_priced_above_subtotal_is_sent_at_its_total_without_a_positive_discount() -> None:
    data = raw("woo_order_v3_docs_example.json")
    data["line_items"][0].update(sku="WOO-SINGLE-1", total="7.00")
    data["total"] = "30.35"
    record = so(WooOrder.model_validate(data), LINE_MODE)
    amounts = [i["amount"] for i in record.body["item"]["items"]]
    assert amounts == [7.00, 12.00, 10.00, 1.35]
    assert record.body["item"]["items"][0]["rate"] == 3.50


def test_zero_decimal_currency_rounds_to_whole_units() -> None:
    data = raw("woo_order_v3_docs_example.json")
    data["currency"] = "JPY"
    untaxed = {"subtotal_tax": "0", "total_tax": "0", "taxes": []}
    data["line_items"][0].update(sku="WOO-SINGLE-1", quantity=3, subtotal="1000", total="1000", **untaxed)
    data["line_items"][1].update(subtotal="500", total="500", **untaxed)
    data.update(total="1600", total_tax="0", tax_lines=[], shipping_lines=[{"id": 1, "total": "100"}])
    record = so(WooOrder.model_validate(data), POLICY)
    assert [(i["rate"], i["amount"]) for i in record.body["item"]["items"]] == [
        (1000 / 3, 1000.0),  # the unrounded rate: 3 x 333.333… = 1000
        (500.0, 500.0),
        (100.0, 100.0),
    ]


def test_free_shipping_and_negative_fee_need_no_extra_settings() -> None:
    data = raw("woo_order_v3_docs_example.json")
    data["line_items"][0]["sku"] = "WOO-SINGLE-1"
    data["shipping_lines"][0]["total"] = "0.00"
    data["fee_lines"] = [{"id": 7, "name": "Loyalty &amp; thanks", "total": "-2.00"}]
    data["total"] = "17.35"
    record = so(
        WooOrder.model_validate(data), MappingPolicy(fee_item_id="FEE", tax_item_id="TAX", tax_mode="line")
    )
    items = record.body["item"]["items"]
    assert [i["amount"] for i in items] == [6.00, 12.00, -2.00, 1.35]
    assert items[2]["description"] == "Loyalty & thanks"


def test_a_missing_shipping_address_is_a_warning_and_refunds_leave_the_sale_as_it_was() -> None:
    record = so(order_4711(refunds=[{"id": 1, "total": "-5.00"}], shipping=[]))
    assert record.body["shippingAddress"] == KOELN_BILLING
    assert record.body == so(order_4711(shipping=[])).body  # refunds are records of their own
    assert not any("refund" in w for w in record.warnings)
    assert any("shipping address empty" in w for w in record.warnings)


# --- address overflow ---------------------------------------------------------------------------------


def test_long_street_flows_into_the_next_lines_and_the_memo() -> None:
    street = "Lange Straße " * 30  # 390 characters
    note = "Hinterhof, 3. Etage, " * 10
    record = so(
        order_4711(
            billing={
                **raw("woo_order_created_body.json")["billing"],
                "address_1": street,
                "address_2": note,
                "city": "C" * 60,
            }
        )
    )
    billing = record.body["billingAddress"]
    joined = billing["addr1"] + billing["addr2"] + billing["addr3"]
    assert joined == street.strip()  # 390 characters need all three lines
    assert all(width(billing[f]) <= 150 for f in ("addr1", "addr2", "addr3"))
    memo = record.body["memo"]
    assert memo.startswith("WooCommerce Order #4711\n")
    assert f"Full billing address_2: {note.strip()}" in memo
    assert f"Full billing city: {'C' * 60}" in memo
    assert billing["city"] == "C" * 50
    assert "billing.address_2 over NetSuite's limit or format: full value in memo" in record.warnings
    assert "billing.address_1 over 150 characters: continued on the next address line" in record.warnings
    assert not any("Lange" in w or "CCCC" in w for w in record.warnings)


def test_address_text_beyond_the_memo_is_unmappable_without_values() -> None:
    huge = "Ä" * 2500
    with pytest.raises(Unmappable, match="too long even for the memo") as exc:
        so(order_4711(billing={"address_1": huge, "city": huge, "email": "a@b.c"}))
    assert "ÄÄ" not in str(exc.value)


def test_cut_keeps_every_character_and_prefers_word_boundaries() -> None:
    assert cut("aaaa bbbb", 7) == ("aaaa ", "bbbb")
    assert cut("abcdefghij", 4) == ("abcd", "efghij")
    emoji = "\U0001f600" * 10  # 20 UTF-16 units
    head, tail = cut(emoji, 5)
    assert head == "\U0001f600" * 2
    assert head + tail == emoji
    text = "x y " * 100
    assert "".join(pieces(text, 150)) == text
    assert all(width(p) <= 150 for p in pieces(text, 150))


# --- customer details ------------------------------------------------------------------------------


def test_person_names_are_cut_to_32_with_a_warning() -> None:
    billing = {"first_name": "A" * 40, "last_name": "Doe", "email": "a@b.co", "phone": "n/a"}
    record = map_customer(order_4711(billing=billing, shipping=[]), MappingPolicy())
    assert record.body["isPerson"] is True
    assert record.body["firstName"] == "A" * 32
    assert "phone" not in record.body  # not 7+ digits: NetSuite would reject it, so it stays out…
    assert record.body["comments"] == "Phone as entered in WooCommerce: n/a"  # …and in a note
    assert "first name over 32 characters: cut" in record.warnings
    assert any("billing.phone" in w for w in record.warnings)
    [entry] = record.body["addressBook"]["items"]
    assert entry["addressBookAddress"]["addressee"] == "A" * 40 + " Doe"


# --- fingerprint -------------------------------------------------------------------------------------


def test_fingerprint_is_stable_for_the_same_order() -> None:
    assert so(order_4711()).fingerprint == so(order_4711()).fingerprint
    assert map_customer(order_4711(), POLICY).fingerprint == map_customer(order_4711(), POLICY).fingerprint


def test_fingerprint_ignores_a_status_only_change_even_with_a_new_modified_date() -> None:
    before = so(order_4711())
    after = so(order_4711(status="completed", date_modified_gmt="2025-03-15T08:00:00"))
    assert after.body["custbody_woo_modified_gmt"] == "2025-03-15T08:00:00"  # still sent
    assert after.fingerprint == before.fingerprint


def test_fingerprint_changes_with_the_quantity() -> None:
    data = raw("woo_order_created_body.json")
    data["line_items"][0]["quantity"] = 3
    assert so(WooOrder.model_validate(data)).fingerprint != so(order_4711()).fingerprint
