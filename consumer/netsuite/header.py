"""The sales order's header fields a finance team expects, each from a setting.

| field                         | from                                   | default                       |
|-------------------------------|----------------------------------------|-------------------------------|
| `orderStatus`                 | `NETSUITE_ORDER_STATUS`                | `B` pending fulfillment (paid) |
| `location`, `department`, `class`, `customForm` | `NETSUITE_LOCATION_ID` ... | not sent                |
| `currency`                    | the order's ISO code (`currency.py`)   | always, by internal id        |
| `shipMethod`, `shippingCost`  | `NETSUITE_SHIP_METHOD_MAP` (`lines.py`) | shipping as an item line     |
| payment method, transaction id, coupon codes, customer note | `NETSUITE_*_FIELD` | the memo   |

A note's field is `memo` (a line "Payment: …" in the memo), a custom body field (`custbody_…`,
created by the account as free-form or long text; values over 4,000 characters are cut with a
warning), or '' (not sent). The customer's note is the customer's own text: in the memo it is cut
to 1,000 characters so address overflow always fits.
"""

from __future__ import annotations

from typing import Any

from consumer.netsuite.addresses import cut, width
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.lines import Draft
from consumer.netsuite.money import to_json_number
from consumer.netsuite.policy import MEMO, MappingPolicy
from consumer.netsuite.products import plain_text
from schemas.order import WooOrder

FIELD_LIMIT = 4000
NOTE_IN_MEMO_LIMIT = 1000


def header_fields(
    order: WooOrder, policy: MappingPolicy, draft: Draft, currency: CurrencyRef
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if currency.id is not None:
        body["currency"] = {"id": currency.id}
    if policy.order_status:
        body["orderStatus"] = {"id": policy.order_status}
    body |= policy.dimensions()
    if policy.custom_form_id:  # the sales order's form: a credit or a deposit has forms of its own
        body["customForm"] = {"id": policy.custom_form_id}
    if draft.shipping is not None:
        body["shipMethod"] = {"id": draft.shipping.ship_item_id}
        body["shippingCost"] = to_json_number(draft.shipping.amount, field="shippingCost")
    return body


def notes(order: WooOrder, policy: MappingPolicy, body: dict[str, Any], warnings: list[str]) -> list[str]:
    """Put each note where its setting says; returns the memo lines."""
    method = plain_text(order.payment_method_title) or order.payment_method.strip()
    if method and order.payment_method.strip() and order.payment_method.strip() != method:
        method = f"{method} ({order.payment_method.strip()})"
    codes = ", ".join(plain_text(c.code) for c in order.coupon_lines if c.code.strip())
    memo: list[str] = []
    for label, value, field in (
        ("Payment", method, policy.payment_method_field),
        ("Transaction", order.transaction_id.strip(), policy.transaction_id_field),
        ("Coupons", codes, policy.coupon_codes_field),
        ("Customer note", order.customer_note.strip(), policy.customer_note_field),
    ):
        if not field:
            continue
        if not value:
            if field != MEMO:
                body[field] = ""  # an update clears what the order no longer has
            continue
        if field == MEMO:
            limit = NOTE_IN_MEMO_LIMIT if label == "Customer note" else FIELD_LIMIT
            memo.append(f"{label}: {_fit(value, limit, label, warnings)}")
        else:
            body[field] = _fit(value, FIELD_LIMIT, label, warnings)
    return memo


def _fit(value: str, limit: int, label: str, warnings: list[str]) -> str:
    if width(value) <= limit:
        return value
    warnings.append(f"{label.lower()} over {limit} characters: cut")
    return cut(value, limit)[0].rstrip()
