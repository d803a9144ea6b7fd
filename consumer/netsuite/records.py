"""The pure mapping WooCommerce order → NetSuite customer and sales order (no I/O, no logging).

The consumer resolves the customer's internal id and the SKUs' item ids, then calls
`map_sales_order`; everything NetSuite-specific about *content* is decided here, so it can be
tested exhaustively without a network. Problems that make an order impossible to write raise
`Unmappable` (dead letter, reason in the message); problems that lose nothing are returned as
`warnings` for the caller to log. Warnings and error messages name fields, never their values
(names, addresses and emails are personal data); money figures, SKUs and ids may appear.

Field choices beyond the contract:
- Customer `isPerson` is false exactly when the billing company is set (then `companyName`, and no
  first/last name, which NetSuite only has for persons). Names over 32 characters are cut with a
  warning; the full name stays in the address book's addressee (150).
- No `currency` on the sales order: NetSuite wants a currency *internal id*, not "EUR"; the order
  takes the customer's currency. A multi-currency account needs a code → id setting (later work).
- The shipping address falls back to the billing address when WooCommerce sent none (virtual
  goods), so NetSuite never fills it from a stale address-book default.
- Every text field is always present ('' when empty), so an update clears what the order no
  longer has instead of keeping an old value.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from consumer.errors import Unmappable
from consumer.netsuite.addresses import MappedAddress, cut, is_empty, map_address, width
from consumer.netsuite.external_ids import customer_external_id, sales_order_external_id
from consumer.netsuite.lines import build_lines, product_lines, sku_of
from consumer.netsuite.settings import MappingPolicy
from consumer.pipeline.versions import Placed
from schemas.order import WooOrder

__all__ = [
    "MappedRecord",
    "customer_external_id",
    "map_customer",
    "map_sales_order",
    "required_skus",
    "sales_order_external_id",
]

NAME_LIMIT = 32
COMPANY_NAME_LIMIT = 83  # customer companyName (records browser; unconfirmed)
EMAIL_LIMIT = 254
PHONE_LIMIT = 32
OTHER_REF_LIMIT = 45
MEMO_LIMIT = 4000


@dataclass(frozen=True)
class MappedRecord:
    """One NetSuite record to upsert by external id.

    `fingerprint` hashes the body (canonical JSON) except `version_key`: the version field holds
    `date_modified_gmt`, which WooCommerce bumps on every save — a status change or an order note
    included — although nothing NetSuite shows has changed. With it left out, such re-deliveries
    fingerprint the same and the consumer can skip the write. The consumer must still compare
    versions first and remember the newest one it has seen, or a delayed older retry with
    different content could pass the version check against the stale stored version.
    """

    record_type: str
    external_id: str
    body: dict[str, Any]
    warnings: tuple[str, ...] = ()
    version_key: str | None = None

    @property
    def fingerprint(self) -> str:
        content = {k: v for k, v in self.body.items() if k != self.version_key}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()


def required_skus(order: WooOrder) -> list[str]:
    """Distinct SKUs of the product lines that become NetSuite lines, in order of appearance."""
    return list(dict.fromkeys(sku_of(li) for li in product_lines(order)))


def _fit(value: str, limit: int, field: str, warnings: list[str]) -> str:
    if width(value) <= limit:
        return value
    warnings.append(f"{field} over {limit} characters: cut")
    return cut(value, limit)[0].rstrip()


def map_customer(order: WooOrder, policy: MappingPolicy) -> MappedRecord:
    """The customer (registered or guest) from the order's billing data and addresses, stamped with
    the order it comes from (`<date_created_gmt> #<id>`, see `consumer.pipeline.versions.Placed`)."""
    warnings: list[str] = []
    external_id = customer_external_id(order)
    billing = order.billing
    company = billing.company.strip()
    body: dict[str, Any] = {"externalId": external_id, "isPerson": not company}
    if company:
        body["companyName"] = _fit(company, COMPANY_NAME_LIMIT, "billing.company", warnings)
    else:
        first, last = billing.first_name.strip(), billing.last_name.strip()
        if not first and not last:
            warnings.append("billing.first_name and billing.last_name empty: placeholder last name")
            last = "Guest" if order.customer_id == 0 else f"Customer {order.customer_id}"
        body["firstName"] = _fit(first, NAME_LIMIT, "billing.first_name", warnings)
        body["lastName"] = _fit(last, NAME_LIMIT, "billing.last_name", warnings)

    email = billing.email.strip()
    if width(email) > EMAIL_LIMIT:
        warnings.append(f"billing.email over {EMAIL_LIMIT} characters: not set")
        email = ""
    body["email"] = email
    phone = billing.phone.strip()
    if phone and (width(phone) > PHONE_LIMIT or len(re.findall(r"\d", phone)) < 7):
        warnings.append("billing.phone not a NetSuite phone number (7+ digits, 32 characters): not set")
        phone = ""
    body["phone"] = phone
    if policy.subsidiary_id:
        body["subsidiary"] = {"id": policy.subsidiary_id}

    addresses = [_customer_address(map_address(billing, "billing"), warnings)]
    if not is_empty(order.shipping):
        addresses.append(_customer_address(map_address(order.shipping, "shipping"), warnings))
    if len(addresses) == 1 or _same_place(addresses[0], addresses[1]):
        entries = [_address_entry(addresses[0], billing=True, shipping=True)]
    else:
        entries = [
            _address_entry(addresses[0], billing=True, shipping=False),
            _address_entry(addresses[1], billing=False, shipping=True),
        ]
    body["addressBook"] = {"items": entries}
    body[policy.customer_version_field] = Placed.of(order).text()
    return MappedRecord(
        "customer", external_id, body, tuple(warnings), version_key=policy.customer_version_field
    )


def _customer_address(mapped: MappedAddress, warnings: list[str]) -> dict[str, Any]:
    for label, _value in mapped.overflow:
        field = label.replace(" ", ".", 1)
        warnings.append(f"customer {field} over NetSuite's limit: cut (the sales order memo has it)")
    return mapped.fields


def _same_place(billing: dict[str, Any], shipping: dict[str, Any]) -> bool:
    """Equal addresses, a shipping address without phone (older WooCommerce has none) included."""
    if not shipping.get("addrPhone"):
        shipping = {**shipping, "addrPhone": billing.get("addrPhone", "")}
    return billing == shipping


def _address_entry(address: dict[str, Any], *, billing: bool, shipping: bool) -> dict[str, Any]:
    return {
        "defaultBilling": billing,
        "defaultShipping": shipping,
        "addressBookAddress": address,
    }


def map_sales_order(
    order: WooOrder, *, customer_id: str, item_ids: Mapping[str, str], policy: MappingPolicy
) -> MappedRecord:
    """The sales order; `customer_id` is the customer's internal id, `item_ids` SKU → item id."""
    warnings: list[str] = []
    if not order.date_created_gmt:
        raise Unmappable(f"order {order.id}: no date_created_gmt for tranDate")
    if not order.date_modified_gmt:
        raise Unmappable(f"order {order.id}: no date_modified_gmt for the version field")
    lines = build_lines(order, item_ids, policy, warnings)

    billing = map_address(order.billing, "billing")
    shipping_source = order.shipping
    if is_empty(shipping_source):
        shipping_source = order.billing
        warnings.append("shipping address empty: billing address used")
    shipping = map_address(shipping_source, "shipping")

    number = order.order_number
    memo_parts = [f"WooCommerce Order #{number}"]
    for mapped in (billing, shipping):
        for label in mapped.split:
            warnings.append(f"{label} over 150 characters: continued on the next address line")
        for label, value in mapped.overflow:
            warnings.append(f"{label.replace(' ', '.', 1)} over NetSuite's limit: full value in memo")
            memo_parts.append(f"Full {label}: {value}")
    memo = "\n".join(memo_parts)
    if width(memo) > MEMO_LIMIT:
        fields = ", ".join(label for m in (billing, shipping) for label, _ in m.overflow)
        raise Unmappable(f"address text too long even for the memo ({MEMO_LIMIT}): {fields}")

    other_ref = number
    if width(number) > OTHER_REF_LIMIT:
        other_ref = cut(number, OTHER_REF_LIMIT)[0]
        warnings.append(f"number over {OTHER_REF_LIMIT} characters: cut in otherRefNum (full in memo)")
    if order.model_extra and order.model_extra.get("refunds"):
        warnings.append("refunds present: not mapped, the sales order shows the original sale")

    external_id = sales_order_external_id(order)
    body: dict[str, Any] = {
        "externalId": external_id,
        "entity": {"id": customer_id},
        "otherRefNum": other_ref,
        "tranDate": order.date_created_gmt[:10],
        "memo": memo,
    }
    if policy.subsidiary_id:
        body["subsidiary"] = {"id": policy.subsidiary_id}
    body["billingAddress"] = billing.fields
    body["shippingAddress"] = shipping.fields
    body["item"] = {"items": [line.body(i) for i, line in enumerate(lines)]}
    body[policy.version_field] = order.date_modified_gmt
    return MappedRecord("salesOrder", external_id, body, tuple(warnings), version_key=policy.version_field)
