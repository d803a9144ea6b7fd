"""The pure mapping WooCommerce order → NetSuite customer and sales order (no I/O, no logging).

The consumer resolves the customer's internal id, the SKUs' item ids and the order's currency,
then calls `map_sales_order`; everything NetSuite-specific about *content* is decided here (and in
the modules it composes: `lines`, `tax`, `balance`, `header`, `customers`, `addresses`), so it can be
tested exhaustively without a network. Problems that make an order impossible to write raise
`Unmappable` (dead letter, reason in the message); problems that lose nothing are returned as
`warnings` for the caller to log. Warnings and error messages name fields, never their values
(names, addresses and emails are personal data); money figures, SKUs and ids may appear.

Sales-order choices beyond the contract:
- `tranDate` is the shop's local date of the order (`date_created`, which WooCommerce sends in the
  site's time zone): an evening order in New York is booked on its own day, not the next (GMT) one.
  Records written by an older receiver have no `date_created`: their GMT date is used, with a warning.
- The shipping address falls back to the billing address when WooCommerce sent none (virtual
  goods), so NetSuite never fills it from a stale address-book default.
- Every text field is always present ('' when empty), so an update clears what the order no
  longer has instead of keeping an old value.
- The sales order shows the original sale; refunds are records of their own
  (`consumer.netsuite.refunds`). An order refunded in full (`refunded`) has every line closed, so
  the warehouse does not ship what was paid back (lines NetSuite fulfilled stay as they are).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from consumer.errors import Unmappable
from consumer.netsuite.addresses import cut, is_empty, map_address, width
from consumer.netsuite.balance import balance
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.customers import map_customer
from consumer.netsuite.external_ids import customer_external_id, sales_order_external_id
from consumer.netsuite.header import header_fields, notes
from consumer.netsuite.lines import build_lines
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.products import product_lines, sku_of
from consumer.netsuite.tax import tax_details, tax_line
from schemas.order import WooOrder

__all__ = [
    "MappedRecord",
    "customer_external_id",
    "map_customer",
    "map_sales_order",
    "required_skus",
    "sales_order_external_id",
]

OTHER_REF_LIMIT = 45
MEMO_LIMIT = 4000


def required_skus(order: WooOrder) -> list[str]:
    """Distinct SKUs of the product lines that become NetSuite lines, in order of appearance."""
    return list(dict.fromkeys(sku_of(li) for li in product_lines(order)))


def sales_order_sku_lines(order: WooOrder) -> list[str]:
    """The SKU of each product line in NetSuite line order (to read a 400's `item.items[i]`)."""
    return [sku_of(li) for li in product_lines(order)]


def tran_date(order: WooOrder, warnings: list[str]) -> str:
    if order.date_created:
        return order.date_created[:10]
    if not order.date_created_gmt:
        raise Unmappable(f"order {order.id}: no date_created for tranDate")
    warnings.append("no date_created (shop-local time): tranDate from date_created_gmt")
    return order.date_created_gmt[:10]


def map_sales_order(
    order: WooOrder,
    *,
    customer_id: str,
    item_ids: Mapping[str, str],
    policy: MappingPolicy,
    currency: CurrencyRef | None = None,
) -> MappedRecord:
    """The sales order; `customer_id` is the customer's internal id, `item_ids` SKU → item id,
    `currency` the order's NetSuite currency (None: ISO precision, no currency sent)."""
    warnings: list[str] = []
    currency = currency or CurrencyRef.unresolved(order.currency)
    if not order.date_modified_gmt:
        raise Unmappable(f"order {order.id}: no date_modified_gmt for the version field")
    date = tran_date(order, warnings)
    draft = build_lines(order, item_ids, policy, currency.places, warnings)
    details = []
    tax = Decimal(0)
    if policy.tax_mode == "suitetax":
        details = tax_details(order, policy, draft)
        tax = sum((d.amount for d in details), Decimal(0))
    elif policy.tax_mode == "line":
        tax_line(order, policy, draft)  # a line: part of the net already
    rounding = balance(order, policy, draft, tax)

    external_id = sales_order_external_id(order, policy.store_code)
    body: dict[str, Any] = {
        "externalId": external_id,
        "entity": {"id": customer_id},
        "otherRefNum": _other_ref(order.order_number, warnings),
        "tranDate": date,
    }
    if policy.subsidiary_id:
        body["subsidiary"] = {"id": policy.subsidiary_id}
    body.update(header_fields(order, policy, draft, currency))
    body["memo"], body["billingAddress"], body["shippingAddress"] = _memo_and_addresses(
        order, notes(order, policy, body, warnings), warnings
    )
    with_reference = policy.tax_mode == "suitetax"
    body["item"] = {"items": [ln.body(i, with_reference=with_reference) for i, ln in enumerate(draft.lines)]}
    if order.status == "refunded":  # refunded in full: nothing left to ship (refunds: `refunds.py`)
        for line in body["item"]["items"]:
            line["isClosed"] = True
    body["taxDetailsOverride"] = policy.tax_mode != "netsuite"
    if with_reference:
        body["taxDetails"] = {"items": [d.body(i) for i, d in enumerate(details)]}
    body[policy.version_field] = order.date_modified_gmt
    return MappedRecord(
        "salesOrder", external_id, body, tuple(warnings), version_key=policy.version_field, rounding=rounding
    )


def _other_ref(number: str, warnings: list[str]) -> str:
    if width(number) <= OTHER_REF_LIMIT:
        return number
    warnings.append(f"number over {OTHER_REF_LIMIT} characters: cut in otherRefNum (full in memo)")
    return cut(number, OTHER_REF_LIMIT)[0]


def _memo_and_addresses(
    order: WooOrder, note_lines: list[str], warnings: list[str]
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    billing = map_address(order.billing, "billing")
    shipping_source = order.shipping
    if is_empty(shipping_source):
        shipping_source = order.billing
        warnings.append("shipping address empty: billing address used")
    shipping = map_address(shipping_source, "shipping")
    memo_parts = [f"WooCommerce Order #{order.order_number}", *note_lines]
    for mapped in (billing, shipping):
        for label in mapped.split:
            warnings.append(f"{label} over 150 characters: continued on the next address line")
        for label, value in mapped.overflow:
            warnings.append(
                f"{label.replace(' ', '.', 1)} over NetSuite's limit or format: full value in memo"
            )
            memo_parts.append(f"Full {label}: {value}")
    memo = "\n".join(memo_parts)
    if width(memo) > MEMO_LIMIT:
        fields = ", ".join(label for m in (billing, shipping) for label, _ in m.overflow)
        raise Unmappable(f"address text too long even for the memo ({MEMO_LIMIT}): {fields}")
    return memo, billing.fields, shipping.fields
