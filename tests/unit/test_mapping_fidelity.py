"""The mapping as a finance team books an order: dates, currency, rounding, tax details, customers,
header fields and store codes (issue 11). Generated orders: test_records_properties.py and, against
the simulator, tests/integration/test_netsuite_fidelity.py."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from consumer.errors import Unmappable
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.customers import map_customer, person_names
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.records import map_sales_order
from schemas.order import WooOrder

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "woo_order_created_body.json"
ITEMS = {"COF-1KG": "101", "MUG-BLUE": "102", "TEE": "108"}
POLICY = MappingPolicy(
    shipping_item_id="SHIP",
    discount_item_id="DISC",
    fee_item_id="FEE",
    tax_item_id="TAX",
    rounding_item_id="ROUND",
    tax_code_map={"1": "11"},
)
EUR = CurrencyRef("EUR", 2, "2")


def order(**changes: Any) -> WooOrder:
    return WooOrder.model_validate({**json.loads(SAMPLE.read_bytes()), **changes})


def simple(lines: list[tuple[str, int, str]], total: str, currency: str = "EUR", **extra: Any) -> WooOrder:
    """An order of untaxed lines (sku, quantity, line total) and nothing else."""
    items = [
        {"id": n, "sku": sku, "quantity": q, "subtotal": amount, "total": amount}
        for n, (sku, q, amount) in enumerate(lines)
    ]
    base = {"id": 7, "currency": currency, "total": total, "date_created": "2025-03-14T10:00:00"}
    return WooOrder.model_validate(
        {**base, "date_modified_gmt": "2025-03-14T09:00:01", "line_items": items, **extra}
    )


def so(o: WooOrder, policy: MappingPolicy = POLICY, currency: CurrencyRef | None = EUR) -> MappedRecord:
    return map_sales_order(o, customer_id="1", item_ids=ITEMS, policy=policy, currency=currency)


def amounts(record: MappedRecord) -> list[tuple[str, float]]:
    return [(i["item"]["id"], i["amount"]) for i in record.body["item"]["items"]]


def policy(**changes: Any) -> MappingPolicy:
    return MappingPolicy(**{**POLICY.__dict__, **changes})


# --- dates and currency ----------------------------------------------------------------------------


def test_tran_date_is_the_shops_local_date_not_gmt() -> None:
    evening = order(date_created="2025-03-31T21:30:00", date_created_gmt="2025-04-01T01:30:00")  # New York
    assert so(evening).body["tranDate"] == "2025-03-31"  # not April: not the next day, not the next month


def test_an_old_record_without_local_date_uses_the_gmt_date_with_a_warning() -> None:
    record = so(order(date_created=None))
    assert record.body["tranDate"] == "2025-03-14"
    assert any("date_created_gmt" in w for w in record.warnings)


def test_the_currency_is_sent_by_netsuite_id_and_rounds_to_its_precision() -> None:
    record = so(simple([("COF-1KG", 3, "1000.40")], "1000.40", "JPY"), currency=CurrencyRef("JPY", 0, "4"))
    assert record.body["currency"] == {"id": "4"}
    assert amounts(record) == [("101", 1000.0)]  # 1000.40 in whole yen, and so is the total: no rounding


# --- rounding ----------------------------------------------------------------------------------------


def test_the_rate_is_unrounded_so_rate_times_quantity_is_the_amount() -> None:
    (item,) = so(simple([("COF-1KG", 3, "10.00")], "10.00")).body["item"]["items"]
    assert item["amount"] == 10.0
    assert item["rate"] == 10 / 3  # 3.3333…, not 3.33 (x 3 = 9.99)
    assert round(Decimal(repr(item["rate"])) * 3, 2) == Decimal("10.00")


def test_a_three_decimal_shop_gets_a_rounding_line_for_what_rounding_leaves() -> None:
    record = so(simple([("COF-1KG", 1, "10.125"), ("MUG-BLUE", 1, "10.125")], "20.250"))
    assert amounts(record) == [("101", 10.13), ("102", 10.13), ("ROUND", -0.01)]
    assert record.rounding == Decimal("-0.01")
    assert record.body["taxDetails"] == {"items": []}


def test_a_jpy_shop_with_decimals_is_booked_in_whole_yen() -> None:
    jpy = CurrencyRef("JPY", 0, "4")
    record = so(simple([("COF-1KG", 1, "100.50"), ("MUG-BLUE", 1, "100.50")], "201.00", "JPY"), currency=jpy)
    assert amounts(record) == [("101", 101.0), ("102", 101.0), ("ROUND", -1.0)]  # a yen, within tolerance


def test_a_disagreement_beyond_the_tolerance_is_unmappable_and_needs_the_item_otherwise() -> None:
    with pytest.raises(Unmappable, match=r"disagree by more than 0\.05"):
        so(simple([("COF-1KG", 1, "10.00")], "10.06"))
    with pytest.raises(Unmappable, match="NETSUITE_ROUNDING_ITEM_ID"):
        so(simple([("COF-1KG", 1, "10.00")], "10.01"), policy(rounding_item_id=None))


def test_round_at_subtotal_tax_strings_are_allocated_to_the_rates_total() -> None:
    """Line tax strings 0.19 + 0.19 + 0.19 = 0.57, but WooCommerce rounded the sum: 0.56."""
    lines = [
        {"id": n, "sku": "COF-1KG", "quantity": 1, "subtotal": "0.99", "total": "0.99", "total_tax": "0.19",
         "taxes": [{"id": 1, "total": "0.1881", "subtotal": "0.1881"}]}
        for n in range(3)
    ]  # fmt: skip
    rate = {"id": 9, "rate_id": 1, "tax_total": "0.56", "shipping_tax_total": "0", "rate_percent": "19"}
    o = simple([], "3.53", line_items=lines, tax_lines=[rate], total_tax="0.56")
    details = so(o).body["taxDetails"]["items"]
    assert [d["taxAmount"] for d in details] == [0.18, 0.19, 0.19]  # 0.5643 → 0.56, by the largest remainders
    assert not any(i == "ROUND" for i, _ in amounts(so(o)))


# --- tax details -------------------------------------------------------------------------------------


def _taxed(rates: list[tuple[int, str]], tax_lines: list[dict[str, Any]], total: str) -> WooOrder:
    taxes = [{"id": r, "total": t, "subtotal": t} for r, t in rates]
    line = {"id": 1, "sku": "COF-1KG", "quantity": 1, "subtotal": "100.00", "total": "100.00", "taxes": taxes}
    tax = str(sum((Decimal(t) for _, t in rates), Decimal(0)))
    return simple([], total, line_items=[line], tax_lines=tax_lines, total_tax=tax)


def test_stacked_rates_give_one_detail_each_with_code_and_rate() -> None:
    tax_lines = [
        {"id": 8, "rate_id": 3, "rate_code": "US-NY-STATE", "tax_total": "4.00", "rate_percent": "4"},
        {"id": 9, "rate_id": 4, "rate_code": "US-NY-CITY", "tax_total": "4.875", "rate_percent": "4.875"},
    ]
    record = so(
        _taxed([(3, "4.00"), (4, "4.875")], tax_lines, "108.875"),
        policy(tax_code_map={"3": "21", "US-NY-CITY": "22"}),
        None,
    )
    details = record.body["taxDetails"]["items"]
    assert [(d["taxCode"]["id"], d["taxAmount"], d.get("taxRate")) for d in details] == [
        ("21", 4.0, 4.0),  # by rate id
        ("22", 4.88, 4.875),  # by rate code; the ISO precision of USD
    ]
    assert {d["taxDetailsReference"] for d in details} == {"L1"}


def test_a_rate_without_a_code_is_unmappable_and_default_catches_the_rest() -> None:
    rate = {"id": 8, "rate_id": 5, "tax_total": "19.00", "rate_percent": "19"}
    with pytest.raises(Unmappable, match="tax rate 5: set NETSUITE_TAX_CODE_MAP"):
        so(_taxed([(5, "19.00")], [rate], "119.00"))
    record = so(_taxed([(5, "19.00")], [rate], "119.00"), policy(tax_code_map={"default": "16"}))
    assert record.body["taxDetails"]["items"][0]["taxCode"] == {"id": "16"}


def test_untaxed_lines_get_the_none_code_with_zero_when_the_map_has_one() -> None:
    record = so(simple([("COF-1KG", 1, "10.00")], "10.00"), policy(tax_code_map={"none": "16"}))
    assert record.body["taxDetails"]["items"] == [
        {
            "taxDetailsReference": "L1",
            "taxCode": {"id": "16"},
            "taxBasis": 10.0,
            "taxAmount": 0.0,
            "taxRate": 0.0,
        }
    ]


def test_line_mode_overrides_without_details_and_netsuite_mode_does_not_override() -> None:
    line = so(order(), policy(tax_mode="line"))
    assert (line.body["taxDetailsOverride"], "taxDetails" in line.body) == (True, False)
    assert amounts(line)[-1] == ("TAX", 10.25)
    assert so(order(), policy(tax_mode="netsuite")).body["taxDetailsOverride"] is False


# --- customers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("billing", "shipping", "names"),
    [
        ({"first_name": "Ada", "last_name": "Lovelace"}, {}, ("Ada", "Lovelace")),
        ({"first_name": "Ada"}, {"first_name": "Ada", "last_name": "King"}, ("Ada", "King")),
        ({"first_name": "Ada Maria King"}, {}, ("Ada Maria", "King")),  # express checkout: one part
        ({"last_name": "Cher"}, {}, ("-", "Cher")),
        ({}, {}, ("-", "Customer 58")),
    ],
)
def test_one_name_part_is_accepted_by_the_documented_rule(
    billing: dict[str, str], shipping: dict[str, str], names: tuple[str, str]
) -> None:
    o = order(billing={**billing, "email": "a@example.com"}, shipping=shipping)
    assert person_names(o) == names
    body = map_customer(o, POLICY).body
    assert (body["firstName"], body["lastName"]) == names


def test_is_person_does_not_flip_with_the_company_field() -> None:
    with_company = map_customer(order(), POLICY).body
    without = map_customer(order(billing={**order().billing.model_dump(), "company": ""}), POLICY).body
    assert with_company["isPerson"] is without["isPerson"] is True
    assert (with_company["companyName"], without["companyName"]) == ("Müller Rösterei GmbH", "")
    companies = map_customer(
        order(billing={"first_name": "Ada", "last_name": "L", "email": "a@b.co"}),
        policy(customer_type="company"),
    )
    assert (companies.body["isPerson"], companies.body["companyName"]) == (False, "Ada L")
    assert "firstName" not in companies.body


def test_an_empty_email_is_left_out_and_an_invalid_one_kept_in_a_note() -> None:
    empty = map_customer(order(billing={"first_name": "A", "last_name": "B", "email": ""}), POLICY).body
    assert "email" not in empty
    assert "comments" not in empty
    bad = map_customer(
        order(billing={"first_name": "A", "last_name": "B", "email": "jürgen@köln"}), POLICY
    ).body
    assert "email" not in bad
    assert bad["comments"] == "Email as entered in WooCommerce: jürgen@köln"


def test_an_invalid_address_phone_stays_out_of_the_phone_field_and_in_the_memo() -> None:
    billing = {**order().billing.model_dump(), "phone": "call after 5pm"}
    record = so(order(billing=billing))
    assert record.body["billingAddress"]["addrPhone"] == ""
    assert "Full billing phone: call after 5pm" in record.body["memo"]


def test_the_customer_may_use_the_orders_currency() -> None:
    assert map_customer(order(), POLICY, EUR).body["currencyList"] == {"items": [{"currency": {"id": "2"}}]}
    assert "currencyList" not in map_customer(order(), POLICY, CurrencyRef.unresolved("EUR")).body


# --- header fields and store codes ---------------------------------------------------------------------


def test_header_fields_from_settings() -> None:
    chosen = policy(order_status="A", location_id="3", department_id="4", class_id="5", custom_form_id="123")
    body = so(order(), chosen).body
    assert {k: body[k] for k in ("orderStatus", "location", "department", "class", "customForm")} == {
        "orderStatus": {"id": "A"},
        "location": {"id": "3"},
        "department": {"id": "4"},
        "class": {"id": "5"},
        "customForm": {"id": "123"},
    }
    assert "orderStatus" not in so(order(), policy(order_status="")).body  # the form's default


def test_a_mapped_ship_method_is_the_orders_ship_method_and_cost_taxed_under_shipping() -> None:
    record = so(order(), policy(ship_method_map={"flat_rate": "951"}))
    assert (record.body["shipMethod"], record.body["shippingCost"]) == ({"id": "951"}, 4.9)
    assert ("SHIP", 4.9) not in amounts(record)
    shipping = [d for d in record.body["taxDetails"]["items"] if d["taxDetailsReference"] == "SHIPPING"]
    assert [(d["taxBasis"], d["taxAmount"]) for d in shipping] == [(4.9, 0.93)]
    unmapped = so(order(), policy(ship_method_map={"local_pickup": "952"}))
    assert "shipMethod" not in unmapped.body
    assert ("SHIP", 4.9) in amounts(unmapped)


def test_notes_go_to_the_memo_or_custom_fields_by_setting() -> None:
    fields = policy(
        payment_method_field="custbody_woo_payment",
        transaction_id_field="custbody_woo_txn",
        coupon_codes_field="",
        customer_note_field="custbody_woo_note",
    )
    body = so(order(), fields).body
    assert body["memo"] == "WooCommerce Order #4711"
    assert body["custbody_woo_payment"] == "Credit / Debit Card (stripe)"
    assert body["custbody_woo_txn"] == "pi_3Example000000000000"
    assert body["custbody_woo_note"] == "Bitte klingeln / please ring"
    assert so(order(customer_note=""), fields).body["custbody_woo_note"] == ""  # cleared on update
    long_note = so(order(customer_note="x" * 3000)).body["memo"]
    assert "Customer note: " + "x" * 1000 in long_note
    assert "x" * 1001 not in long_note


def test_a_store_code_prefixes_every_external_id() -> None:
    coded = policy(store_code="EU")
    assert so(order(), coded).external_id == "WOO_EU_ORDER_4711"
    assert map_customer(order(), coded).external_id == "WOO_EU_CUST_58"
    assert map_customer(order(customer_id=0), coded).external_id == "WOO_EU_GUEST_j_mueller-at-example_com"
    assert so(order()).external_id == "WOO_ORDER_4711"  # no code: today's ids
