"""A refund's lines from its per-line detail: booked exactly as the sale was booked, then reversed.

The detail (`consumer.woocommerce.refunds`) lists the refunded lines with negative quantity, amounts
and tax shares. Turned positive, they are an order of their own, and the sales order's mapping
(`lines.py`, `tax.py`) books them: the same items by SKU, shipping and fee items, and WooCommerce's
tax per line and rate as SuiteTax details (or one tax line in `line` mode) — so the credit reverses
revenue and tax liability line by line, not as one gross amount.

| part of the refund                      | credit line                                              |
|-----------------------------------------|----------------------------------------------------------|
| a refunded product line                 | its item, the quantity refunded (1: money only), amount  |
| refunded shipping / fee                 | `NETSUITE_SHIPPING_ITEM_ID` / `NETSUITE_FEE_ITEM_ID`     |
| tax of those lines                      | as the sales order's tax (`NETSUITE_TAX_MODE`)           |
| `amount` beyond the items and their tax | `NETSUITE_REFUND_ITEM_ID`, untaxed (1)                   |

(1) WooCommerce lets an admin refund more, or less, than the items selected.
So NetSuite's total is the refund's `amount` to the cent in `suitetax` and `line` modes (in
`netsuite` mode NetSuite taxes the lines itself, as it does the sales order). `tranDate` is the date
WooCommerce gives the refund (`date_created`, the site's zone).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from consumer.netsuite.lines import Draft, build_lines, required
from consumer.netsuite.money import exact, to_places
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.products import product_lines, sku_of
from consumer.netsuite.tax import tax_details, tax_line
from consumer.woocommerce.refunds import RefundDetail
from schemas.order import WooOrder


@dataclass(frozen=True)
class Itemised:
    """A refund's detail, and the item ids of its SKUs (resolved by the caller)."""

    detail: RefundDetail
    item_ids: Mapping[str, str]


def as_order(order: WooOrder, detail: RefundDetail) -> WooOrder:
    """The refund's items as a little order of their own, amounts positive, in the order's currency
    with the order's tax rates (their totals: the refund's shares)."""
    items = [
        {
            **li.model_dump(exclude={"quantity"}),
            "quantity": abs(li.quantity) or 1,
            **{k: _flip(getattr(li, k)) for k in ("subtotal", "subtotal_tax", "total", "total_tax")},
            "taxes": [_flip_tax(t.model_dump()) for t in li.taxes],
        }
        for li in detail.line_items
    ]
    others = {
        name: [
            {**x.model_dump(), "total": _flip(x.total), "total_tax": _flip(x.total_tax),
             "taxes": [_flip_tax(t.model_dump()) for t in x.taxes]}
            for x in getattr(detail, name)
        ]
        for name in ("shipping_lines", "fee_lines")
    }  # fmt: skip
    shares: dict[int, Decimal] = {}
    for line in [*items, *others["shipping_lines"], *others["fee_lines"]]:
        for t in line["taxes"]:
            shares[t["id"]] = shares.get(t["id"], Decimal(0)) + Decimal(t["total"])
    rates = [
        {**t.model_dump(), "tax_total": str(shares.get(t.rate_id, Decimal(0))), "shipping_tax_total": "0"}
        for t in order.tax_lines
    ]
    total_tax = sum(
        (Decimal(i["total_tax"]) for i in [*items, *others["shipping_lines"], *others["fee_lines"]]),
        Decimal(0),
    )
    return WooOrder.model_validate(
        {
            "id": order.id,
            "status": "processing",
            "currency": order.currency,
            "prices_include_tax": order.prices_include_tax,
            "line_items": items,
            **others,
            "tax_lines": rates,
            "total_tax": str(total_tax),
            "total": detail.amount,
        }
    )


def detailed_skus(order: WooOrder, detail: RefundDetail) -> list[str]:
    """The SKUs whose item ids the credit needs."""
    return list(dict.fromkeys(sku_of(li) for li in product_lines(as_order(order, detail))))


def refund_lines(
    order: WooOrder,
    detail: RefundDetail,
    *,
    amount: Decimal,
    item_ids: Mapping[str, str],
    policy: MappingPolicy,
    places: int,
    warnings: list[str],
) -> dict[str, Any]:
    """The credit's `item` (and tax) fields for one refund with its detail, summing to `amount` (the
    refund as booked, `refunds.refund_amount`: rounded as a running total, not `detail.amount` alone)."""
    small = as_order(order, detail)
    lines_policy = replace(policy, ship_method_map={})  # a credit has no ship method: shipping is a line
    draft: Draft = build_lines(small, item_ids, lines_policy, places, warnings)
    tax = Decimal(0)
    details = []
    if policy.tax_mode == "suitetax":
        details = tax_details(small, policy, draft)
        tax = sum((d.amount for d in details), Decimal(0))
    elif policy.tax_mode == "line":
        tax_line(small, policy, draft)  # a line: part of the net already
    else:
        tax = to_places(exact(small.total_tax, field="refund tax"), places)  # NetSuite adds its own
    rest = amount - draft.net() - tax
    if rest:
        item_id = required(policy.refund_item_id, "NETSUITE_REFUND_ITEM_ID", "a refund beyond its items")
        draft.add(item_id, 1, rest, f"Refund #{detail.id}: not itemised")
    with_reference = policy.tax_mode == "suitetax"
    fields: dict[str, Any] = {
        "item": {"items": [ln.body(i, with_reference=with_reference) for i, ln in enumerate(draft.lines)]},
        "taxDetailsOverride": policy.tax_mode != "netsuite",
    }
    if with_reference:
        fields["taxDetails"] = {"items": [d.body(i) for i, d in enumerate(details)]}
    return fields


def _flip(text: str) -> str:
    return str(-exact(text, field="refund line"))


def _flip_tax(tax: dict[str, Any]) -> dict[str, Any]:
    return {**tax, "total": _flip(str(tax["total"])), "subtotal": _flip(str(tax["subtotal"]))}
