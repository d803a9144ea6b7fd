"""Generated WooCommerce orders, computed the way WooCommerce computes them — rounding included.

What WooCommerce does that the mapping must survive (woocommerce/woocommerce: `WC_Tax`,
`WC_Cart_Totals`, `WC_Discounts`, the REST orders controller):
- money in the shop's decimals (`dp`: 2, 3 for some shops, 0 for JPY); REST writes line `subtotal`,
  `total`, `*_tax` and the order's totals formatted to `dp`, but a line's `taxes[]` unformatted;
- tax per line and rate; rounded per line, or — "round tax at subtotal" — kept exact per line and
  rounded once per rate (`tax_lines[].tax_total`), so the lines' tax strings need not add up;
- prices entered with tax ("prices include tax"): the ex-tax line totals are what is left after the
  tax, so they carry the rounding of the tax;
- coupons (percent or a fixed cart amount spread over the lines), shipping (free, one or two lines),
  fees (negative ones too), zero-rated and stacked rates (a US state + county rate on one line).
The strategy returns a webhook body (dict) with consistent figures, like a real checkout's.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st

SKUS = ["COF-1KG", "COF-250G", "MUG-BLUE", "MUG-RED", "Bar3", "TEE-RED-M"]
# rate id → percent, per currency; tax classes pick rate ids (two ids: stacked rates)
RATES = {
    "EUR": {1: Decimal(19), 2: Decimal(7)},
    "USD": {3: Decimal(4), 4: Decimal("4.875")},
    "JPY": {5: Decimal(10), 6: Decimal(8)},
}
CLASSES = {"EUR": [(1,), (2,), ()], "USD": [(3, 4), (3,), ()], "JPY": [(5,), (6,), ()]}
COUNTRY = {"EUR": "DE", "USD": "US", "JPY": "JP"}
#: WooCommerce rate id → a NetSuite tax code of the simulator (tests/integration/test_netsuite_fidelity.py)
TAX_CODE_MAP = {"1": "11", "2": "12", "3": "13", "4": "13", "5": "15", "6": "15", "default": "16"}

_text = st.text(st.sampled_from([*"abcxyzÄÖÜßéñçøЖжΩ中文 -'.", "\U0001f600"]), min_size=1, max_size=12)
_long = st.text(st.sampled_from([*"abc xyz ÄÖÜ ß é 中"]), min_size=150, max_size=320)
_over_32 = st.text(st.sampled_from("Xy z"), min_size=33, max_size=50)  # NetSuite's name limit is 32


def _round(value: Decimal, dp: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-dp), rounding=ROUND_HALF_UP)


def _fmt(value: Decimal, dp: int) -> str:
    return f"{_round(value, dp):.{dp}f}"


def _exact(value: Decimal) -> str:
    """A `taxes[]` figure as PHP writes it: unformatted (up to the 8 decimals we keep)."""
    return format(value.quantize(Decimal("0.00000001")).normalize(), "f") if value else "0"


class _Tax:
    """Tax per rate, exact and as WooCommerce rounds it, for lines and for shipping."""

    def __init__(self, dp: int, at_subtotal: bool) -> None:
        self.dp, self.at_subtotal = dp, at_subtotal
        self.cart: dict[int, list[Decimal]] = {}
        self.shipping: dict[int, list[Decimal]] = {}

    def on(self, base: Decimal, rate: Decimal) -> Decimal:
        exact = base * rate / 100
        return exact if self.at_subtotal else _round(exact, self.dp)

    def total(self, shares: dict[int, list[Decimal]], rate_id: int) -> Decimal:
        values = shares.get(rate_id, [])
        return _round(sum(values, Decimal(0)), self.dp) if self.at_subtotal else sum(values, Decimal(0))


@st.composite
def woo_orders(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(["EUR", "USD", "JPY"]))
    dp = 0 if currency == "JPY" else draw(st.sampled_from([2, 2, 3]))
    unit = Decimal(1).scaleb(-dp)
    inclusive, at_subtotal = draw(st.booleans()), draw(st.booleans())
    rates = RATES[currency]
    tax = _Tax(dp, at_subtotal)

    raw_lines = []
    for _ in range(draw(st.integers(1, 3))):
        qty = draw(st.integers(1, 5))
        price = draw(st.one_of(st.just(0), st.integers(1, 150 * 10**dp))) * unit
        raw_lines.append(
            (draw(st.sampled_from(SKUS)), qty, price * qty, draw(st.sampled_from(CLASSES[currency])))
        )
    gross_sum = sum((line[2] for line in raw_lines), Decimal(0))
    coupon = draw(st.sampled_from(["none", "percent", "fixed"])) if gross_sum else "none"
    discounts = _discounts(draw, coupon, [line[2] for line in raw_lines], unit)

    line_items, items_ex = [], Decimal(0)
    for n, ((sku, qty, sub_price, classes), off) in enumerate(zip(raw_lines, discounts, strict=True)):
        total_price = sub_price - off
        factor = 100 / (100 + sum(rates[r] for r in classes)) if inclusive else Decimal(1)
        sub_taxes = {r: tax.on(sub_price * factor, rates[r]) for r in classes}
        tot_taxes = {r: tax.on(total_price * factor, rates[r]) for r in classes}
        sub_ex = sub_price - sum(sub_taxes.values(), Decimal(0)) if inclusive else sub_price
        tot_ex = total_price - sum(tot_taxes.values(), Decimal(0)) if inclusive else total_price
        for r, value in tot_taxes.items():
            tax.cart.setdefault(r, []).append(value)
        items_ex += tot_ex
        line_items.append(
            {
                "id": 900 + n, "name": f"{sku} &ndash; item", "product_id": 100 + n, "variation_id": 0,
                "quantity": qty, "sku": sku, "subtotal": _fmt(sub_ex, dp), "total": _fmt(tot_ex, dp),
                "subtotal_tax": _fmt(sum(sub_taxes.values(), Decimal(0)), dp),
                "total_tax": _fmt(sum(tot_taxes.values(), Decimal(0)), dp),
                "taxes": [
                    {"id": r, "total": _exact(tot_taxes[r]), "subtotal": _exact(sub_taxes[r])}
                    for r in classes
                ],
                "meta_data": [],
            }
        )  # fmt: skip

    standard = next(iter(rates))
    shipping_lines, shipping_ex = [], Decimal(0)
    for n in range(draw(st.integers(0, 2))):  # none, one, or two packages
        amount = draw(st.one_of(st.just(0), st.integers(1, 30 * 10**dp))) * unit
        value = tax.on(amount, rates[standard])
        tax.shipping.setdefault(standard, []).append(value)
        shipping_ex += amount
        method = "free_shipping" if not amount else draw(st.sampled_from(["flat_rate", "dhl_paket"]))
        shipping_lines.append(
            {"id": 950 + n, "method_id": method, "method_title": method.replace("_", " ").title(),
             "total": _fmt(amount, dp), "total_tax": _fmt(value, dp),
             "taxes": [{"id": standard, "total": _exact(value), "subtotal": ""}]}
        )  # fmt: skip

    fee_lines, fees = [], Decimal(0)
    for n in range(draw(st.integers(0, 1))):
        amount = draw(st.integers(-min(10 * 10**dp, int(items_ex / unit)), 20 * 10**dp)) * unit
        taxed = amount > 0 and draw(st.booleans())
        value = tax.on(amount, rates[standard]) if taxed else Decimal(0)
        if taxed:
            tax.cart.setdefault(standard, []).append(value)
        fees += amount
        fee_lines.append(
            {"id": 970 + n, "name": "Payment surcharge" if amount > 0 else "Loyalty discount",
             "total": _fmt(amount, dp), "total_tax": _fmt(value, dp),
             "taxes": [{"id": standard, "total": _exact(value), "subtotal": ""}] if taxed else []}
        )  # fmt: skip

    tax_lines, total_tax = [], Decimal(0)
    for rate_id in sorted(set(tax.cart) | set(tax.shipping)):
        cart, ship = tax.total(tax.cart, rate_id), tax.total(tax.shipping, rate_id)
        total_tax += cart + ship
        tax_lines.append(
            {"id": 990 + rate_id, "rate_id": rate_id, "rate_code": f"{COUNTRY[currency]}-TAX-{rate_id}",
             "label": f"Tax {rates[rate_id]}%", "compound": False, "tax_total": _fmt(cart, dp),
             "shipping_tax_total": _fmt(ship, dp), "rate_percent": str(rates[rate_id])}
        )  # fmt: skip
    discount_total = sum((Decimal(li["subtotal"]) - Decimal(li["total"]) for li in line_items), Decimal(0))
    total = _round(items_ex + shipping_ex + fees + total_tax, dp)
    return {
        "id": draw(st.integers(1, 10**9)),
        "number": str(draw(st.integers(1, 10**6))),
        "status": "processing",
        "currency": currency,
        "prices_include_tax": inclusive,
        # an evening order in New York: the shop's date is the 31st, GMT's already April
        "date_created": "2025-03-31T21:30:00",
        "date_created_gmt": "2025-04-01T01:30:00",
        "date_modified_gmt": "2025-04-01T01:30:05",
        "date_paid_gmt": "2025-04-01T01:30:04",
        "discount_total": _fmt(discount_total, dp),
        "shipping_total": _fmt(shipping_ex, dp),
        "total_tax": _fmt(total_tax, dp),
        "total": _fmt(total, dp),
        "customer_id": draw(st.one_of(st.just(0), st.integers(1, 10**6))),
        "customer_note": draw(st.one_of(st.just(""), _text, _long)),
        "payment_method": "stripe",
        "payment_method_title": "Credit card",
        "transaction_id": draw(st.one_of(st.just(""), st.just("pi_3Example0001"))),
        "billing": draw(_address(COUNTRY[currency], billing=True)),
        "shipping": draw(_address(COUNTRY[currency], billing=False)),
        "line_items": line_items,
        "shipping_lines": shipping_lines,
        "fee_lines": fee_lines,
        "coupon_lines": [{"id": 980, "code": coupon, "discount": _fmt(discount_total, dp)}]
        if coupon != "none"
        else [],
        "tax_lines": tax_lines,
    }


def _discounts(draw: st.DrawFn, coupon: str, subtotals: list[Decimal], unit: Decimal) -> list[Decimal]:
    """Per-line discounts in whole units of the shop's currency (WooCommerce works in cents)."""
    if coupon == "none":
        return [Decimal(0)] * len(subtotals)
    if coupon == "percent":
        percent = draw(st.sampled_from([5, 10, 15, 100]))
        return [(s * percent / 100 / unit).to_integral_value(ROUND_HALF_UP) * unit for s in subtotals]
    whole = sum(subtotals, Decimal(0))
    amount = draw(st.integers(1, int(whole / unit))) * unit
    shares = [(amount * s / whole / unit).to_integral_value(rounding="ROUND_FLOOR") * unit for s in subtotals]
    for i in range(int((amount - sum(shares, Decimal(0))) / unit)):  # the remainder, a unit each
        shares[i % len(shares)] += unit
    return [min(share, s) for share, s in zip(shares, subtotals, strict=True)]


@st.composite
def _address(draw: st.DrawFn, country: str, *, billing: bool) -> dict[str, Any]:
    first, last = draw(st.sampled_from([("both", "both"), ("both", ""), ("", "both"), ("", "")]))
    address = {
        "first_name": draw(_text) if first else "",  # express checkouts send one name part only
        "last_name": draw(st.one_of(_text, _over_32)) if last else "",
        "company": draw(st.one_of(st.just(""), _text)),
        "address_1": draw(st.one_of(_text, _long)),
        "address_2": draw(st.one_of(st.just(""), _text)),
        "city": draw(_text),
        "state": "",
        "postcode": draw(st.sampled_from(["50667", "10001", "100-0001"])),
        "country": country,
        "phone": draw(st.sampled_from(["+49 221 5550100", "(212) 555-0100", "n/a", ""])),
    }  # fmt: skip
    if billing:
        address["email"] = draw(st.sampled_from(["ada@example.com", "Jürgen@köln.de", "x@y.co"]))
    return address
