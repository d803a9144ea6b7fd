"""Conversion between the pydantic `OrderEvent` and the plain dict that fastavro writes.

Kept apart from the codec so the mapping between the two shapes is tested on its own.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from schemas.order import OrderEvent, WooOrder

# The schema's fields of each part of the order, read straight off the model (a `model_dump` per
# object costs several times more on the receiver's hot path).
_ORDER_FIELDS = (
    "id", "parent_id", "number", "status", "currency", "prices_include_tax",
    "date_created_gmt", "date_created", "date_modified_gmt", "date_paid_gmt", "date_completed_gmt",
    "customer_id", "customer_note", "payment_method", "payment_method_title", "transaction_id",
    "discount_total", "discount_tax", "shipping_total", "shipping_tax", "cart_tax",
    "total", "total_tax",
)  # fmt: skip
_ADDRESS_FIELDS = (
    "first_name", "last_name", "company", "address_1", "address_2",
    "city", "state", "postcode", "country", "email", "phone",
)  # fmt: skip
_LINE_ITEM_FIELDS = (
    "id", "name", "product_id", "variation_id", "quantity", "sku",
    "subtotal", "subtotal_tax", "total", "total_tax",
)  # fmt: skip
_SHIPPING_LINE_FIELDS = ("id", "method_id", "method_title", "total", "total_tax")
_FEE_LINE_FIELDS = ("id", "name", "total", "total_tax")
_COUPON_LINE_FIELDS = ("id", "code", "discount", "discount_tax")
_TAX_LINE_FIELDS = (
    "id", "rate_id", "rate_code", "label", "compound", "tax_total", "shipping_tax_total", "rate_percent",
)  # fmt: skip
_REFUND_FIELDS = ("id", "reason", "total")


def _pick(model: BaseModel, fields: tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(model, f) for f in fields}


def _taxed(model: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """A line's fields plus its `taxes[]` shares."""
    out = _pick(model, fields)
    out["taxes"] = [{"id": t.id, "total": t.total, "subtotal": t.subtotal} for t in model.taxes]
    return out


# json.dumps(value, ensure_ascii=False) builds a new encoder per call (~0.8 us, twice per meta entry).
_to_json = json.JSONEncoder(ensure_ascii=False).encode


def _value_json(meta: Any) -> str:
    return _to_json(meta.value)


def _display_value_json(meta: Any) -> str | None:
    return None if meta.display_value is None else _to_json(meta.display_value)


# The record's fields that are not the model's attribute of the same name, and how each is computed:
# every other field of the record is that attribute (the compiled writer relies on it, serde.py).
COMPUTED = {"value_json": _value_json, "display_value_json": _display_value_json}


def _meta(entries: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "key": m.key,
            "value_json": _value_json(m),
            "display_key": m.display_key,
            "display_value_json": _display_value_json(m),
        }
        for m in entries
    ]


def to_record(event: OrderEvent) -> dict[str, Any]:
    """The Avro record for an event (only the schema's fields; the raw body keeps the rest)."""
    o = event.order
    order = _pick(o, _ORDER_FIELDS)
    order["billing"] = _pick(o.billing, _ADDRESS_FIELDS)
    order["shipping"] = _pick(o.shipping, _ADDRESS_FIELDS)
    order["line_items"] = [
        {**_taxed(li, _LINE_ITEM_FIELDS), "meta_data": _meta(li.meta_data)} for li in o.line_items
    ]
    order["shipping_lines"] = [_taxed(s, _SHIPPING_LINE_FIELDS) for s in o.shipping_lines]
    order["fee_lines"] = [_taxed(f, _FEE_LINE_FIELDS) for f in o.fee_lines]
    order["coupon_lines"] = [_pick(c, _COUPON_LINE_FIELDS) for c in o.coupon_lines]
    order["tax_lines"] = [_pick(t, _TAX_LINE_FIELDS) for t in o.tax_lines]
    order["refunds"] = [_pick(r, _REFUND_FIELDS) for r in o.refunds]
    return {
        "webhook_topic": event.webhook_topic,
        "received_at_ms": event.received_at_ms,
        "webhook_id": event.webhook_id,
        "delivery_id": event.delivery_id,
        "source": event.source,
        "order": order,
        "raw_body": event.raw_body,
    }


def from_record(record: dict[str, Any]) -> OrderEvent:
    """The event for an Avro record (as fastavro reads it, with logical types off)."""
    order = dict(record["order"])
    order["line_items"] = [
        {
            **li,
            "meta_data": [
                {
                    "key": m["key"],
                    "value": json.loads(m["value_json"]),
                    "display_key": m.get("display_key"),
                    "display_value": None
                    if m.get("display_value_json") is None
                    else json.loads(m["display_value_json"]),
                }
                for m in li.get("meta_data", [])
            ],
        }
        for li in order.get("line_items", [])
    ]
    received = record["received_at_ms"]
    if not isinstance(received, int):  # a datetime when a reader turned logical types on
        received = int(received.timestamp() * 1000)
    return OrderEvent(
        order=WooOrder.model_validate(order),
        webhook_topic=record["webhook_topic"],
        received_at_ms=received,
        webhook_id=record.get("webhook_id", ""),
        delivery_id=record.get("delivery_id", ""),
        source=record.get("source", ""),
        raw_body=record["raw_body"],
    )
