"""Properties of the order → NetSuite mapping over generated, internally consistent orders.

The strategy builds orders the way WooCommerce computes them (money in minor units of the
currency, formatted as strings): several lines, variations, coupons, markups, fees (negative too),
free shipping, tax-inclusive and -exclusive shops, guests, unicode and over-long addresses, and
currencies with 0, 2 and 3 decimals. `total` = Σ line total + Σ shipping + Σ fees + total_tax.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from consumer.errors import Unmappable
from consumer.netsuite.addresses import LIMITS, is_empty, width
from consumer.netsuite.customers import COMPANY_NAME_LIMIT, EMAIL_LIMIT, NAME_LIMIT, PHONE_LIMIT
from consumer.netsuite.external_ids import EXTERNAL_ID_LIMIT
from consumer.netsuite.money import minor_digits
from consumer.netsuite.products import DESCRIPTION_LIMIT
from consumer.netsuite.records import (
    MEMO_LIMIT,
    OTHER_REF_LIMIT,
    MappedRecord,
    customer_external_id,
    map_customer,
    map_sales_order,
    required_skus,
)
from consumer.netsuite.settings import MappingPolicy
from schemas.order import Address, WooOrder

SKUS = ["SKU-1", "SKU-2", "TEE-RED-M", "Über-Größe", "mug.blue"]
ITEM_IDS = {sku: str(100 + i) for i, sku in enumerate(SKUS)}
SAFE_ID = re.compile(r"[A-Za-z0-9_-]+")
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters of several scripts, digits, punctuation, spaces, an astral emoji and CJK (2 UTF-16 units).
_ALPHABET = st.sampled_from(
    [*"abcxyzABCXYZ0123456789 ,.-/#'&äöüßÄÉéñçøłšžğıİ中文字東京ЖжЯяΩαβ", "\U0001f600", "\U00020000", "\t"]
)
text = st.text(_ALPHABET, max_size=20)
long_text = st.text(_ALPHABET, min_size=140, max_size=320)
very_long_text = st.text(_ALPHABET, min_size=400, max_size=520)
field_text = st.one_of(text, text, long_text)


def money(units: int, places: int) -> str:
    return f"{Decimal(units).scaleb(-places):.{places}f}"


@st.composite
def addresses(draw: st.DrawFn, *, with_email: bool) -> dict[str, Any]:
    address = {
        "first_name": draw(st.one_of(text, st.text(_ALPHABET, min_size=25, max_size=60))),
        "last_name": draw(st.one_of(text, st.text(_ALPHABET, min_size=25, max_size=60))),
        "company": draw(st.one_of(st.just(""), text, st.text(_ALPHABET, min_size=100, max_size=170))),
        "address_1": draw(st.one_of(field_text, very_long_text)),
        "address_2": draw(st.one_of(st.just(""), field_text)),
        "city": draw(st.one_of(text, st.text(_ALPHABET, min_size=40, max_size=70))),
        "state": draw(st.one_of(st.just(""), st.sampled_from(["CA", "NRW", "東京都"]), text)),
        "postcode": draw(st.one_of(st.just(""), text, st.text(_ALPHABET, min_size=30, max_size=45))),
        "country": draw(st.sampled_from(["DE", "us", "JP", "", "XX1"])),
        "phone": draw(st.one_of(st.just(""), st.from_regex(r"\+?[0-9 ()-]{7,50}", fullmatch=True), text)),
    }
    if with_email:
        address["email"] = draw(emails)
    return address


emails = st.one_of(
    st.emails(),
    st.builds(
        lambda local, domain, pad: f"{pad}{local}@{domain}{pad}",
        st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=230),
        st.sampled_from(["example.com", "Ünï.de", "x.y"]),
        st.sampled_from(["", " ", "\t"]),
    ),
)


@st.composite
def orders(draw: st.DrawFn) -> WooOrder:
    currency = draw(st.sampled_from(["EUR", "USD", "JPY", "KRW", "KWD", "GBP"]))
    places = minor_digits(currency)
    scale = 10**places
    line_items: list[dict[str, Any]] = []
    line_total = discount = cart_tax = 0
    for n in range(draw(st.integers(1, 5))):
        qty = draw(st.one_of(st.integers(1, 7), st.integers(1, 7), st.just(0)))
        unit = 0 if qty == 0 else draw(st.integers(0, 300 * scale))
        subtotal = qty * unit
        total = subtotal - draw(st.integers(0, subtotal))  # a coupon's share
        if subtotal and draw(st.integers(0, 9)) == 0:
            total = subtotal + draw(st.integers(1, 5 * scale))  # an admin's markup
        tax = draw(st.integers(0, max(total, 0) // 4))
        meta = [{"key": "_reduced_stock", "value": str(qty), "display_key": "_reduced_stock"}]
        if draw(st.booleans()):
            colour = draw(st.sampled_from(["Red", "Blue", "Größe XL"]))
            meta.append(
                {"key": "pa_color", "value": colour.lower(), "display_key": "Color", "display_value": colour}
            )
        line_items.append(
            {
                "id": 900 + n,
                "name": draw(
                    st.sampled_from(["T-Shirt &ndash; Red", "Mug", "Caf&eacute; <b>Beans</b>", "X" * 300])
                ),
                "quantity": qty,
                "sku": draw(st.sampled_from(SKUS)),
                "variation_id": draw(st.integers(0, 3)),
                "subtotal": money(subtotal, places),
                "total": money(total, places),
                "total_tax": money(tax, places),
                "meta_data": meta,
            }
        )
        line_total += total
        discount += max(subtotal - total, 0)
        cart_tax += tax

    shipping_lines: list[dict[str, Any]] = []
    shipping_total = shipping_tax = 0
    for n in range(draw(st.integers(0, 2))):
        amount = draw(st.one_of(st.just(0), st.integers(0, 30 * scale)))  # 0: free shipping
        tax = draw(st.integers(0, amount // 5))
        title = draw(st.sampled_from(["Flat rate", "Free shipping", "DHL &amp; Co"]))
        shipping_lines.append(
            {
                "id": 950 + n,
                "method_title": title,
                "total": money(amount, places),
                "total_tax": money(tax, places),
            }
        )
        shipping_total += amount
        shipping_tax += tax

    fee_lines: list[dict[str, Any]] = []
    fee_total = 0
    for n in range(draw(st.integers(0, 2))):
        room = line_total + shipping_total + fee_total
        amount = draw(st.integers(-min(room, 20 * scale), 20 * scale))  # negative fees exist
        tax = draw(st.integers(0, amount // 5)) if amount > 0 else 0
        fee_lines.append(
            {
                "id": 970 + n,
                "name": "Fee &amp; more",
                "total": money(amount, places),
                "total_tax": money(tax, places),
            }
        )
        fee_total += amount
        cart_tax += tax

    coupons = [{"id": 990, "code": "spring10", "discount": money(discount, places)}] if discount else []
    total_tax = cart_tax + shipping_tax
    guest = draw(st.booleans())
    billing = draw(addresses(with_email=True))
    shipping = draw(st.one_of(st.just(billing), st.just({}), addresses(with_email=False)))
    data = {
        "id": draw(st.integers(1, 10**9)),
        "number": draw(st.one_of(st.just(""), st.from_regex(r"[A-Z0-9-]{1,60}", fullmatch=True))),
        "currency": currency,
        "prices_include_tax": draw(st.booleans()),
        "date_created_gmt": "2025-03-14T09:15:30",
        "date_modified_gmt": "2025-03-14T09:15:36",
        "customer_id": 0 if guest else draw(st.integers(1, 10**6)),
        "discount_total": money(discount, places),
        "shipping_total": money(shipping_total, places),
        "shipping_tax": money(shipping_tax, places),
        "cart_tax": money(cart_tax, places),
        "total_tax": money(total_tax, places),
        "total": money(line_total + shipping_total + fee_total + total_tax, places),
        "billing": billing,
        "shipping": shipping,
        "line_items": line_items,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "coupon_lines": coupons,
    }
    return WooOrder.model_validate(data)


TaxMode = Literal["suitetax", "line", "netsuite"]
TAX_MODES: list[TaxMode] = ["suitetax", "line", "netsuite"]


def policy(tax_mode: TaxMode) -> MappingPolicy:
    return MappingPolicy(
        shipping_item_id="SHIP",
        discount_item_id="DISC",
        fee_item_id="FEE",
        tax_mode=tax_mode,
        tax_item_id="TAX",
        rounding_item_id="ROUND",
        tax_code_map={"default": "11"},
    )


def address_text(address: Address) -> int:
    return sum(width(str(v)) for v in address.model_dump().values())


def recovered(fields: dict[str, Any], memo: str, field: str, label: str, value: str) -> None:
    """`value` is in its field whole, or the field holds a prefix and the memo holds it whole."""
    if fields[field] == value:
        return
    assert value.startswith(fields[field])
    assert f"Full {label}: {value}" in memo


def check_address(fields: dict[str, Any], memo: str, source: Address, role: str) -> None:
    for field, value in fields.items():
        if field != "country":
            assert width(value) <= LIMITS[field], field
    company = source.company.strip()
    name = " ".join(p for p in (source.first_name.strip(), source.last_name.strip()) if p)
    recovered(fields, memo, "addressee", f"{role} addressee", company or name)
    recovered(fields, memo, "attention", f"{role} attention", name if company else "")
    recovered(fields, memo, "city", f"{role} city", source.city.strip())
    recovered(fields, memo, "state", f"{role} state", source.state.strip())
    recovered(fields, memo, "zip", f"{role} postcode", source.postcode.strip())
    recovered(fields, memo, "addrPhone", f"{role} phone", source.phone.strip())
    street = fields["addr1"] + fields["addr2"] + fields["addr3"]
    for source_field in ("address_1", "address_2"):
        value = getattr(source, source_field).strip()
        assert value in street or f"Full {role} {source_field}: {value}" in memo, source_field
    country = source.country.strip()
    if country:
        assert fields.get("country") == {"id": country.upper()} or f"Full {role} country: {country}" in memo
    else:
        assert "country" not in fields


def _map_or_refusal(order: WooOrder, tax_mode: TaxMode) -> MappedRecord | Unmappable:
    try:
        return map_sales_order(order, customer_id="1", item_ids=ITEM_IDS, policy=policy(tax_mode))
    except Unmappable as exc:
        return exc


@SETTINGS
@given(order=orders(), tax_mode=st.sampled_from(TAX_MODES))
def test_generated_orders_balance_lose_nothing_and_fit(order: WooOrder, tax_mode: TaxMode) -> None:
    record = _map_or_refusal(order, tax_mode)
    if isinstance(record, Unmappable):
        # Only legitimate refusal: more over-long address text than even the memo can hold.
        assert "too long even for the memo" in record.message
        assert address_text(order.billing) + address_text(order.shipping) > MEMO_LIMIT - 600
        event("memo overflow")
        return
    for kind in (
        "address_1 over NetSuite",
        "address_2 over NetSuite",
        "city over",
        "addressee over",
        "attention over",
        "postcode over",
        "phone over",
        "state over",
        "continued",
    ):
        if any(kind in w for w in record.warnings):
            event(f"warning: {kind}")
    body = record.body
    items = body["item"]["items"]

    # the invariant, to the cent (exact Decimal sum of the JSON numbers): lines + tax details = total
    expected = Decimal(order.total) - (Decimal(order.total_tax) if tax_mode == "netsuite" else 0)
    details = body.get("taxDetails", {"items": []})["items"]
    tax = sum((Decimal(repr(d["taxAmount"])) for d in details), Decimal(0))
    assert sum(Decimal(repr(i["amount"])) for i in items) + tax == expected
    assert body["taxDetailsOverride"] is (tax_mode != "netsuite")
    refs = [i.get("taxDetailsReference") for i in items]
    assert {d["taxDetailsReference"] for d in details} <= set(refs)  # every detail names a line
    for item in items:
        assert width(item["description"]) <= DESCRIPTION_LIMIT
        amount = Decimal(repr(item["amount"]))
        assert amount == amount.quantize(Decimal(1).scaleb(-minor_digits(order.currency)))
    assert all(i["amount"] <= 0 for i in items if i["item"]["id"] == "DISC")
    assert not any(i["item"]["id"] == "ROUND" for i in items)  # consistent orders need no rounding
    assert [i["item"]["id"] for i in items if i["item"]["id"] in ITEM_IDS.values()] == [
        ITEM_IDS[li.sku] for li in order.line_items if li.quantity
    ]
    assert set(required_skus(order)) == {li.sku for li in order.line_items if li.quantity}

    # limits, and no character of an address lost
    memo = body["memo"]
    assert width(memo) <= MEMO_LIMIT
    assert memo.startswith(f"WooCommerce Order #{order.order_number}")
    assert width(body["otherRefNum"]) <= OTHER_REF_LIMIT
    check_address(body["billingAddress"], memo, order.billing, "billing")
    shipping = order.billing if is_empty(order.shipping) else order.shipping
    check_address(body["shippingAddress"], memo, shipping, "shipping")

    # ids and warnings
    assert SAFE_ID.fullmatch(record.external_id)
    _check_warnings_name_no_values(record.warnings, order)


def _check_warnings_name_no_values(warnings: tuple[str, ...], order: WooOrder) -> None:
    values = [v for a in (order.billing, order.shipping) for v in a.model_dump().values()]
    for value in values:
        if width(str(value).strip()) >= 12:
            assert not any(str(value).strip() in w for w in warnings)


@SETTINGS
@given(order=orders())
def test_generated_customers_fit_and_have_safe_ids(order: WooOrder) -> None:
    record = map_customer(order, MappingPolicy(subsidiary_id="7"))
    body = record.body
    assert SAFE_ID.fullmatch(record.external_id)
    assert len(record.external_id) <= EXTERNAL_ID_LIMIT
    assert body["externalId"] == record.external_id
    assert body["isPerson"] is True  # NETSUITE_CUSTOMER_TYPE=individual, whatever the order says
    for key in ("firstName", "lastName"):
        assert 0 < width(body[key]) <= NAME_LIMIT  # NetSuite wants both parts, whatever the order has
    assert width(body.get("companyName", "")) <= COMPANY_NAME_LIMIT
    assert width(body.get("email", "")) <= EMAIL_LIMIT
    assert body.get("email", "x") != ""  # an empty email is left out, never sent
    assert width(body.get("phone", "")) <= PHONE_LIMIT
    entries = body["addressBook"]["items"]
    assert sum(e["defaultBilling"] for e in entries) == 1
    assert sum(e["defaultShipping"] for e in entries) == 1
    for entry in entries:
        for field, value in entry["addressBookAddress"].items():
            if field != "country":
                assert width(value) <= LIMITS[field]
    _check_warnings_name_no_values(record.warnings, order)


def _guest(email: str) -> WooOrder:
    return WooOrder.model_validate({"id": 1, "customer_id": 0, "billing": {"email": email}})


def _unescape(escaped: str) -> str:
    """Inverse of the guest-id escaping: proves it injective where no hash was needed."""
    out, raw, i = [], bytearray(), 0
    while i < len(escaped):
        if escaped.startswith("-at-", i):
            raw += b"@"
            i += 4
        elif escaped[i] == "-":
            raw.append(int(escaped[i + 1 : i + 3], 16))
            i += 3
        else:
            raw += b"." if escaped[i] == "_" else escaped[i].encode()
            i += 1
    out.append(raw.decode())
    return "".join(out)


@SETTINGS
@given(one=emails, two=emails)
def test_guest_external_ids_are_injective_and_safe(one: str, two: str) -> None:
    first, second = customer_external_id(_guest(one)), customer_external_id(_guest(two))
    for email, external_id in ((one, first), (two, second)):
        assert SAFE_ID.fullmatch(external_id)
        assert len(external_id) <= EXTERNAL_ID_LIMIT
        if "--h" not in external_id:
            assert _unescape(external_id.removeprefix("WOO_GUEST_")) == email.strip().lower()
        else:
            event("hashed guest id")
    assert (first == second) == (one.strip().lower() == two.strip().lower())


@SETTINGS
@given(
    base=st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=70, max_size=120),
    a=st.text(min_size=1, max_size=3),
    b=st.text(min_size=1, max_size=3),
)
def test_long_guest_emails_sharing_a_prefix_do_not_collide(base: str, a: str, b: str) -> None:
    one, two = f"{base}{a}@example.com", f"{base}{b}@example.com"
    ids = customer_external_id(_guest(one)), customer_external_id(_guest(two))
    event("hashed" if "--h" in ids[0] else "not hashed")
    assert (ids[0] == ids[1]) == (one.strip().lower() == two.strip().lower())


def tolerance_units(currency: str) -> int:
    """ROUNDING_TOLERANCE (0.05) in the currency's smallest units, at least one."""
    return max(1, int(Decimal("0.05").scaleb(minor_digits(currency))))


def _with_total_off_by(order: WooOrder, units: int) -> WooOrder:
    places = minor_digits(order.currency)
    broken = Decimal(order.total) + Decimal(units).scaleb(-places)
    return order.model_copy(update={"total": money(int(broken.scaleb(places)), places)})


@SETTINGS
@given(
    order=orders(),
    off=st.integers(1, 500),
    sign=st.sampled_from([1, -1]),
    tax_mode=st.sampled_from(TAX_MODES),
)
def test_an_order_whose_total_is_off_beyond_the_tolerance_is_unmappable(
    order: WooOrder, off: int, sign: int, tax_mode: TaxMode
) -> None:
    order = _with_total_off_by(order, sign * (tolerance_units(order.currency) + off))
    with pytest.raises(Unmappable, match=r"add up to|negative"):
        map_sales_order(order, customer_id="1", item_ids=ITEM_IDS, policy=policy(tax_mode))


@SETTINGS
@given(order=orders(), data=st.data(), tax_mode=st.sampled_from(TAX_MODES))
def test_a_disagreement_within_the_tolerance_becomes_one_rounding_line(
    order: WooOrder, data: st.DataObject, tax_mode: TaxMode
) -> None:
    units = data.draw(
        st.integers(1, tolerance_units(order.currency)) | st.integers(-tolerance_units(order.currency), -1)
    )
    order = _with_total_off_by(order, units)
    record = _map_or_refusal(order, tax_mode)
    if isinstance(record, Unmappable):
        assert "negative" in record.message or "memo" in record.message
        return
    (rounding,) = [i for i in record.body["item"]["items"] if i["item"]["id"] == "ROUND"]
    assert Decimal(repr(rounding["amount"])) == Decimal(units).scaleb(-minor_digits(order.currency))
    assert record.rounding == Decimal(repr(rounding["amount"]))
