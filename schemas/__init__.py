"""The order event: its pydantic model (validation), its Avro schema and its (de)serialisers."""

from schemas.order import (
    Address,
    CouponLine,
    FeeLine,
    LineItem,
    OrderEvent,
    ShippingLine,
    TaxLine,
    WooOrder,
)

__all__ = [
    "Address",
    "CouponLine",
    "FeeLine",
    "LineItem",
    "OrderEvent",
    "ShippingLine",
    "TaxLine",
    "WooOrder",
]
