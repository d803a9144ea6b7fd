"""WooCommerce order → NetSuite sales-order item lines whose amounts add up to the order total.

Decisions (and why):

- **Product lines at gross, one discount line.** WooCommerce's line `subtotal` is before coupons
  and `total` after. Each product line is sent at `max(subtotal, total)` (the gross; `total` wins
  only for a line an admin priced above its subtotal), and the coupons become one line on
  `NETSUITE_DISCOUNT_ITEM_ID` of `-(Σ gross - Σ total)`. The books then show gross sales and the
  discount, the discount is never positive, and the product + discount lines equal Σ line `total`
  exactly by construction — whatever WooCommerce put in `discount_total`, which usually but not
  always equals Σ(subtotal - total) to the cent (a mismatch is only a warning). The discount line
  follows the product lines directly because NetSuite applies a discount item to the line above.
- **Rate and amount.** `rate` = gross / quantity rounded to the currency; `amount` is always sent
  (NetSuite would otherwise compute rate * quantity, which can be a cent off).
- **Shipping, fees, tax.** One line per shipping line (`NETSUITE_SHIPPING_ITEM_ID`) and per fee
  line (`NETSUITE_FEE_ITEM_ID`; negative fees are sent negative); zero-amount shipping/fee lines
  (free shipping) are skipped so a shop need not configure an item for them. In tax mode `line`,
  WooCommerce's `total_tax` is one line on `NETSUITE_TAX_ITEM_ID` when it is not zero.
- **Tax-inclusive prices.** WooCommerce's line, shipping and fee totals are ex-tax even when
  `prices_include_tax` is true (WooCommerce issue #17276: "All line totals excl. tax"; tax is
  always in `total_tax`), so the same arithmetic holds for both.
- **The invariant.** Σ amounts == `total` (tax mode `netsuite`: `total - total_tax`), both rounded
  to the currency, checked before returning; when the order's own figures disagree (or the total
  is negative) → `Unmappable` with both figures. Never a silent plug line.
- **Zero quantity.** A product line with quantity 0 and no money is dropped (warning); with money
  it cannot be priced per unit → `Unmappable`.
- **Refunds** are not lines: WooCommerce keeps `total` as sold and records refunds separately; the
  sales order shows the sale (credit memos are later work).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from consumer.errors import Unmappable
from consumer.netsuite.addresses import cut, width
from consumer.netsuite.money import parse_money, round_money, to_json_number
from consumer.netsuite.settings import MappingPolicy
from schemas.order import LineItem, WooOrder

#: Line descriptions are for people reading the order; the item record holds the real name.
DESCRIPTION_LIMIT = 250
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Line:
    item_id: str
    quantity: int
    rate: Decimal
    amount: Decimal
    description: str

    def body(self, index: int) -> dict[str, Any]:
        field = f"item line {index}"
        return {
            "item": {"id": self.item_id},
            "quantity": self.quantity,
            "rate": to_json_number(self.rate, field=field),
            "amount": to_json_number(self.amount, field=field),
            "description": self.description,
        }


def plain_text(text: str) -> str:
    """HTML entities decoded, tags removed, whitespace collapsed: `&ndash;` becomes an en dash."""
    return _SPACES.sub(" ", _TAG.sub("", html.unescape(text))).strip()


def short(text: str) -> str:
    return cut(text, DESCRIPTION_LIMIT)[0].rstrip() if width(text) > DESCRIPTION_LIMIT else text


def product_lines(order: WooOrder, warnings: list[str] | None = None) -> list[LineItem]:
    """The product lines that become NetSuite lines (zero-quantity, zero-money ones are dropped)."""
    kept = []
    for li in order.line_items:
        if li.quantity == 0:
            subtotal = parse_money(li.subtotal, order.currency, field=f"line {li.id} subtotal")
            total = parse_money(li.total, order.currency, field=f"line {li.id} total")
            if subtotal or total:
                raise Unmappable(f"line {li.id} has quantity 0 but an amount: cannot be priced")
            if warnings is not None:
                warnings.append(f"line {li.id}: quantity 0 and no amount, left out")
            continue
        kept.append(li)
    return kept


def sku_of(li: LineItem) -> str:
    sku = li.sku.strip()
    if not sku:
        raise Unmappable(f"line {li.id} has no SKU: cannot resolve a NetSuite item")
    return sku


def describe_product(li: LineItem) -> str:
    """Product name plus the variation attributes WooCommerce shows, unless the name has them."""
    name = plain_text(li.name)
    extras = []
    for meta in li.meta_data:
        key = plain_text(meta.display_key or "")
        if not key or key.startswith("_") or meta.key.startswith("_"):
            continue
        if not isinstance(meta.display_value, str | int | float) or isinstance(meta.display_value, bool):
            continue
        value = plain_text(str(meta.display_value))
        if not value or width(value) > 60 or value.casefold() in name.casefold():
            continue
        extras.append(f"{key}: {value}")
    return short(f"{name} ({', '.join(extras)})" if extras else name)


def _required(item_id: str | None, setting: str, what: str) -> str:
    if not item_id:
        raise Unmappable(f"order has {what} but {setting} is not set")
    return item_id


def build_lines(
    order: WooOrder, item_ids: Mapping[str, str], policy: MappingPolicy, warnings: list[str]
) -> list[Line]:
    """All item lines of the sales order, checked to add up to the order total."""
    cur = order.currency

    def money(text: str, field: str) -> Decimal:
        return parse_money(text, cur, field=field)

    lines: list[Line] = []
    discount = Decimal(0)
    for li in product_lines(order, warnings):
        sku = sku_of(li)
        item_id = item_ids.get(sku)
        if not item_id:
            raise Unmappable(f"unknown SKU {sku!r} on line {li.id}: no NetSuite item")
        subtotal = money(li.subtotal, f"line {li.id} subtotal")
        total = money(li.total, f"line {li.id} total")
        gross = max(subtotal, total)
        discount += gross - total
        rate = round_money(gross / li.quantity, cur)
        lines.append(Line(item_id, li.quantity, rate, gross, describe_product(li)))

    if discount:
        item_id = _required(policy.discount_item_id, "NETSUITE_DISCOUNT_ITEM_ID", "a discount")
        codes = [plain_text(c.code) for c in order.coupon_lines if c.code.strip()]
        text = short(f"Discount ({', '.join(codes)})" if codes else "Discount")
        lines.append(Line(item_id, 1, -discount, -discount, text))
    if discount != money(order.discount_total, "discount_total"):
        warnings.append("discount_total differs from Σ(line subtotal - total); the line figures were used")

    for sl in order.shipping_lines:
        amount = money(sl.total, f"shipping line {sl.id} total")
        if amount:
            item_id = _required(policy.shipping_item_id, "NETSUITE_SHIPPING_ITEM_ID", "shipping")
            text = short(plain_text(sl.method_title) or "Shipping")
            lines.append(Line(item_id, 1, amount, amount, text))

    for fee in order.fee_lines:
        amount = money(fee.total, f"fee line {fee.id} total")
        if amount:
            item_id = _required(policy.fee_item_id, "NETSUITE_FEE_ITEM_ID", "a fee")
            lines.append(Line(item_id, 1, amount, amount, short(plain_text(fee.name) or "Fee")))

    tax = money(order.total_tax, "total_tax")
    if policy.tax_mode == "line" and tax:
        item_id = _required(policy.tax_item_id, "NETSUITE_TAX_ITEM_ID", "tax")
        labels = list(dict.fromkeys(plain_text(t.label) for t in order.tax_lines if t.label.strip()))
        text = short(f"Tax ({', '.join(labels)})" if labels else "Tax")
        lines.append(Line(item_id, 1, tax, tax, text))

    _check_total(order, lines, tax, policy)
    return lines


def _check_total(order: WooOrder, lines: list[Line], tax: Decimal, policy: MappingPolicy) -> None:
    """The invariant: Σ line amounts == the WooCommerce total (minus the tax left to NetSuite)."""
    total = parse_money(order.total, order.currency, field="total")
    if total < 0:
        raise Unmappable(f"order total {total} is negative: not a sales order")
    expected = total if policy.tax_mode == "line" else total - tax
    actual = sum((line.amount for line in lines), Decimal(0))
    if actual != expected:
        raise Unmappable(
            f"line amounts add up to {actual} but the order says {expected} "
            f"(total {total}, total_tax {tax}): the order's own totals are inconsistent"
        )
