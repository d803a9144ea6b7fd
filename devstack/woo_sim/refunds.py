"""Refunds as WooCommerce makes them (`wc_create_refund`, includes/wc-order-functions.php) and lists
them (`/wp-json/wc/v3/orders/<id>/refunds`, class-wc-rest-order-refunds-v2-controller.php).

What a client meets, and the simulator therefore does:
- A refund is a post of its own (`shop_order_refund`): its id comes from the site's one id sequence.
- Its items are the order's lines with **negative** quantity, subtotal, total, tax and `taxes[]`
  shares, each naming the order line in `meta_data` `_refunded_item_id`; its `amount` is positive and
  may differ from its items (an admin may refund an amount without items — "amount ... will take
  precedence over line item totals", order-refunds REST docs).
- The order then lists it first in `refunds` as `{"id", "reason", "total": "-<amount>"}`, its
  `date_modified` moves, `order.updated` is delivered; refunded in full (the refunds reach the order's
  total) the order's status becomes `refunded` (`wc_order_fully_refunded`).
- Dates: `date_created` in the site's zone and `date_created_gmt`, as the order's own.
- More than what remains of the order's total is refused ("Invalid refund amount.", the check in
  `wc_create_refund`).
"""

from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

Order = dict[str, Any]
_CENT = Decimal("0.01")
_IDS = itertools.count(9001)  # the site's post ids: above any order id the demo and tests use


def _neg(value: Decimal) -> str:
    return str((-value).quantize(_CENT, rounding=ROUND_HALF_UP))


def make_refund(
    order: Order,
    lines: dict[int, int],
    *,
    amount: str | None,
    reason: str,
    created: str,
    created_gmt: str,
) -> dict[str, Any]:
    """The refund of `lines` (order line id → quantity) of `order`, for `amount` (default: the items
    with their tax), as the REST API lists it."""
    items, money = [], Decimal(0)
    for line in order.get("line_items", []):
        qty = lines.get(line["id"], 0)
        if not qty:
            continue
        if qty > line["quantity"]:
            raise ValueError(f"line {line['id']} has {line['quantity']}, not {qty}")
        share = Decimal(qty) / Decimal(line["quantity"])
        total, tax = Decimal(line["total"]) * share, Decimal(line["total_tax"]) * share
        taxes = [
            {
                "id": t["id"],
                "total": _neg(Decimal(t["total"]) * share),
                "subtotal": _neg(Decimal(t["total"]) * share),
            }
            for t in line.get("taxes", [])
        ]
        items.append(
            {
                "id": next(_IDS),
                "name": line.get("name", ""),
                "product_id": line.get("product_id", 0),
                "variation_id": line.get("variation_id", 0),
                "quantity": -qty,
                "sku": line.get("sku", ""),
                "subtotal": _neg(total),
                "subtotal_tax": _neg(tax),
                "total": _neg(total),
                "total_tax": _neg(tax),
                "taxes": taxes,
                "meta_data": [{"key": "_refunded_item_id", "value": str(line["id"])}],
            }
        )
        money += total.quantize(_CENT, rounding=ROUND_HALF_UP) + tax.quantize(_CENT, rounding=ROUND_HALF_UP)
    refund_amount = Decimal(amount) if amount is not None else money
    if refund_amount <= 0:
        raise ValueError("a refund returns money: give lines or an amount")
    given_back = sum((-Decimal(r["total"]) for r in order.get("refunds", [])), Decimal(0))
    if refund_amount > Decimal(order.get("total", "0")) - given_back:  # wc_create_refund refuses it
        raise ValueError("Invalid refund amount.")
    return {
        "id": next(_IDS),
        "date_created": created,
        "date_created_gmt": created_gmt,
        "amount": str(refund_amount.quantize(_CENT)),
        "reason": reason,
        "refunded_by": 1,
        "refunded_payment": False,
        "meta_data": [],
        "line_items": items,
        "shipping_lines": [],
        "fee_lines": [],
        "tax_lines": [],
    }


def listed(refund: dict[str, Any]) -> dict[str, Any]:
    """The refund as the order's `refunds` lists it (`get_order_refunds` in the orders controller)."""
    return {"id": refund["id"], "reason": refund["reason"], "total": f"-{refund['amount']}"}


def refunded_in_full(order: Order) -> bool:
    given_back = sum((-Decimal(r["total"]) for r in order.get("refunds", [])), Decimal(0))
    return given_back >= Decimal(order.get("total", "0"))
