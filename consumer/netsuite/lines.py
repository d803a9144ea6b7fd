"""WooCommerce order → NetSuite sales-order item lines, each carrying WooCommerce's tax on it.

Decisions (and why):

- **Product lines at gross, one discount line.** WooCommerce's line `subtotal` is before coupons
  and `total` after. Each product line is sent at `max(subtotal, total)` (the gross; `total` wins
  only for a line an admin priced above its subtotal), and the coupons become one line on
  `NETSUITE_DISCOUNT_ITEM_ID` of `-(Σ gross - Σ total)`, right after the products (NetSuite applies
  a discount item to the lines above). The books show gross sales and the discount.
- **Full precision, rounded once.** Every WooCommerce figure is read exactly as sent (a 3-decimal
  shop's "10.125", a JPY shop's "1234.56"); an amount is rounded once, to NetSuite's precision for
  the order's currency (`places`: its `currencyprecision`), when it becomes a line. The `rate` is the
  unrounded amount / quantity, so rate x quantity = amount (a rate rounded to the cent would not).
  Whatever the rounding leaves is settled by `consumer.netsuite.balance`, never here.
- **Tax shares.** A line carries WooCommerce's tax on it per tax rate — `taxes[]` at full precision,
  or the line's `total_tax` when the order has no `taxes[]` (rate unknown). A product line carries
  the tax of its gross (`taxes[].subtotal`), the discount line the tax the coupons took off (subtotal
  minus total, per rate), so each line's tax details match its amount. `consumer.netsuite.tax`
  turns the shares into SuiteTax tax details.
- **Shipping.** A line per shipping line on `NETSUITE_SHIPPING_ITEM_ID`, unless every paid shipping
  line's `method_id` maps to the same ship item (`NETSUITE_SHIP_METHOD_MAP`): then the order's
  `shipMethod` + `shippingCost` (what fulfilment and the carrier integrations read), taxed under the
  reference `SHIPPING`. Fees: a line each on `NETSUITE_FEE_ITEM_ID`, negative fees negative.
  Zero-amount shipping and fee lines (free shipping) are skipped so no item is needed for them.
- **Tax-inclusive prices.** WooCommerce's line, shipping and fee totals are ex-tax even when
  `prices_include_tax` is true (WooCommerce issue #17276); tax is always in the tax fields.
- **Zero quantity.** A product line with quantity 0 and no money is dropped (warning); with money it
  cannot be priced per unit → `Unmappable`. **Refunds** are not lines (the sales order is the sale).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from consumer.errors import Unmappable
from consumer.netsuite.money import exact, to_json_number, to_places, unit_rate
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.products import describe_product, plain_text, product_lines, short, sku_of
from schemas.order import LineTax, WooOrder

SHIPPING_REFERENCE = "SHIPPING"


@dataclass(frozen=True)
class TaxShare:
    """WooCommerce's tax of one rate on one line, at full precision, and the amount it is on."""

    rate_id: int | None  # None: the order does not say which rate (no `taxes[]`)
    amount: Decimal
    basis: Decimal


@dataclass(frozen=True)
class Line:
    item_id: str
    quantity: int
    amount: Decimal  # in NetSuite's precision for the order's currency
    description: str
    ref: str  # taxDetailsReference: links the line to its tax details
    places: int
    taxes: tuple[TaxShare, ...] = ()

    def body(self, index: int, *, with_reference: bool) -> dict[str, Any]:
        where = f"item line {index}"
        out: dict[str, Any] = {
            "item": {"id": self.item_id},
            "quantity": self.quantity,
            "rate": unit_rate(self.amount, self.quantity, self.places, field=where),
            "amount": to_json_number(self.amount, field=where),
            "description": self.description,
        }
        if with_reference:
            out["taxDetailsReference"] = self.ref
        return out


@dataclass(frozen=True)
class HeaderShipping:
    """Shipping as the order's ship method and cost (a mapped `method_id`)."""

    ship_item_id: str
    amount: Decimal
    taxes: tuple[TaxShare, ...]
    ref: str = SHIPPING_REFERENCE


@dataclass
class Draft:
    """The lines of a sales order before tax and balance are settled."""

    places: int
    lines: list[Line] = field(default_factory=list)
    shipping: HeaderShipping | None = None

    def add(
        self, item_id: str, quantity: int, amount: Decimal, text: str, taxes: Sequence[TaxShare] = ()
    ) -> None:
        ref = f"L{len(self.lines) + 1}"
        self.lines.append(Line(item_id, quantity, amount, text, ref, self.places, tuple(taxes)))

    def net(self) -> Decimal:
        lines = sum((line.amount for line in self.lines), Decimal(0))
        return lines + (self.shipping.amount if self.shipping else Decimal(0))


def required(item_id: str | None, setting: str, what: str) -> str:
    if not item_id:
        raise Unmappable(f"order has {what} but {setting} is not set")
    return item_id


def _shares(
    taxes: list[LineTax], fallback: str, basis: Decimal, where: str, *, before: bool
) -> list[TaxShare]:
    """The line's tax per rate: `taxes[]` (their subtotal when `before` coupons), else `fallback`."""
    if not taxes:
        amount = exact(fallback, field=f"{where} tax")
        return [TaxShare(None, amount, basis)] if amount else []
    return [
        TaxShare(t.id, exact(t.subtotal if before else t.total, field=f"{where} taxes"), basis) for t in taxes
    ]


def build_lines(
    order: WooOrder, item_ids: Mapping[str, str], policy: MappingPolicy, places: int, warnings: list[str]
) -> Draft:
    """Product, discount, shipping and fee lines with their tax shares (see the module docstring)."""
    draft = Draft(places)
    discount = Decimal(0)
    discount_taxes: dict[int | None, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for li in product_lines(order, warnings):
        sku = sku_of(li)
        item_id = item_ids.get(sku)
        if not item_id:
            raise Unmappable(f"unknown SKU {sku!r} on line {li.id}: no NetSuite item")
        where = f"line {li.id}"
        subtotal, total = (
            exact(li.subtotal, field=f"{where} subtotal"),
            exact(li.total, field=f"{where} total"),
        )
        gross = max(subtotal, total)
        amount = to_places(gross, places)
        shares = _shares(li.taxes, li.total_tax, amount, where, before=False)
        if gross == subtotal and subtotal != total:  # coupons took some off: the tax of the gross
            off = subtotal - total
            discount += off
            after = {s.rate_id: s.amount for s in shares}
            gross_shares = _shares(li.taxes, li.subtotal_tax, amount, where, before=True)
            if sum(s.amount for s in gross_shares) or not sum(after.values()):
                shares = gross_shares  # else the order has no pre-coupon tax: the discount carries none
            for share in shares:
                discount_taxes[share.rate_id][0] += share.amount - after.get(share.rate_id, Decimal(0))
                discount_taxes[share.rate_id][1] += off
        draft.add(item_id, li.quantity, amount, describe_product(li), shares)

    if discount:
        item_id = required(policy.discount_item_id, "NETSUITE_DISCOUNT_ITEM_ID", "a discount")
        codes = [plain_text(c.code) for c in order.coupon_lines if c.code.strip()]
        text = short(f"Discount ({', '.join(codes)})" if codes else "Discount")
        shares = [
            TaxShare(rate, -tax, -to_places(off, places)) for rate, (tax, off) in discount_taxes.items()
        ]
        draft.add(item_id, 1, -to_places(discount, places), text, shares)
    if discount != exact(order.discount_total, field="discount_total"):
        warnings.append("discount_total differs from Σ(line subtotal - total); the line figures were used")

    _shipping(order, policy, draft)
    for fee in order.fee_lines:
        amount = to_places(exact(fee.total, field=f"fee line {fee.id} total"), places)
        if amount:
            item_id = required(policy.fee_item_id, "NETSUITE_FEE_ITEM_ID", "a fee")
            shares = _shares(fee.taxes, fee.total_tax, amount, f"fee line {fee.id}", before=False)
            draft.add(item_id, 1, amount, short(plain_text(fee.name) or "Fee"), shares)
    return draft


def _shipping(order: WooOrder, policy: MappingPolicy, draft: Draft) -> None:
    paid = [
        (sl, to_places(exact(sl.total, field=f"shipping line {sl.id} total"), draft.places))
        for sl in order.shipping_lines
    ]
    paid = [(sl, amount) for sl, amount in paid if amount]
    ship_items = {policy.ship_item(sl.method_id.strip()) for sl, _ in paid}
    if paid and len(ship_items) == 1 and None not in ship_items:
        (ship_item,) = ship_items
        assert ship_item is not None
        amount = sum((a for _, a in paid), Decimal(0))
        shares = [
            s
            for sl, a in paid
            for s in _shares(sl.taxes, sl.total_tax, a, f"shipping line {sl.id}", before=False)
        ]
        draft.shipping = HeaderShipping(ship_item, amount, tuple(shares))
        return
    for sl, amount in paid:
        item_id = required(policy.shipping_item_id, "NETSUITE_SHIPPING_ITEM_ID", "shipping")
        shares = _shares(sl.taxes, sl.total_tax, amount, f"shipping line {sl.id}", before=False)
        draft.add(item_id, 1, amount, short(plain_text(sl.method_title) or "Shipping"), shares)
