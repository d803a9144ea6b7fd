"""`SlimWebhookOrder`: `WebhookOrder` without its unknown fields, for the receiver's validation.

The receiver validates every webhook and then reads only declared fields (the Avro record's, the
order id); the unknown ones (`_links`, the order's meta data, images, ...) travel in the raw body.
Keeping them (`extra="allow"`) builds them as Python objects: a fifth of the validation's time in a
hot loop, more in place. These subclasses ignore them. Every declared field keeps its type and
validator, and the JSON is parsed whole either way, so an order is accepted or refused - with the
same errors - exactly as by `WebhookOrder` (tests/unit/test_order_slim.py, which also checks that
each class here declares the same fields as its base). Instances are instances of the base classes:
an `OrderEvent` takes them as they are. (mypy objects to a list of the slim class where the base
declares a list of its own: lists are invariant. These lists are only read.)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field

from schemas.order import (
    Address,
    CouponLine,
    FeeLine,
    LineItem,
    LineTax,
    MetaData,
    Refund,
    ShippingLine,
    TaxLine,
    WebhookOrder,
    _php_empty_object,
)

_IGNORE = ConfigDict(extra="ignore", frozen=True)


class SlimAddress(Address):
    model_config = _IGNORE


class SlimMetaData(MetaData):
    model_config = _IGNORE


class SlimLineTax(LineTax):
    model_config = _IGNORE


class SlimLineItem(LineItem):
    model_config = _IGNORE
    taxes: list[SlimLineTax] = Field(default_factory=list)  # type: ignore[assignment]
    meta_data: list[SlimMetaData] = Field(default_factory=list)  # type: ignore[assignment]


class SlimShippingLine(ShippingLine):
    model_config = _IGNORE
    taxes: list[SlimLineTax] = Field(default_factory=list)  # type: ignore[assignment]


class SlimFeeLine(FeeLine):
    model_config = _IGNORE
    taxes: list[SlimLineTax] = Field(default_factory=list)  # type: ignore[assignment]


class SlimCouponLine(CouponLine):
    model_config = _IGNORE


class SlimTaxLine(TaxLine):
    model_config = _IGNORE


class SlimRefund(Refund):
    model_config = _IGNORE


class SlimWebhookOrder(WebhookOrder):
    model_config = _IGNORE
    billing: Annotated[SlimAddress, BeforeValidator(_php_empty_object)]
    shipping: Annotated[SlimAddress, BeforeValidator(_php_empty_object)] = Field(default_factory=SlimAddress)
    line_items: list[SlimLineItem]  # type: ignore[assignment]
    shipping_lines: list[SlimShippingLine] = Field(default_factory=list)  # type: ignore[assignment]
    fee_lines: list[SlimFeeLine] = Field(default_factory=list)  # type: ignore[assignment]
    coupon_lines: list[SlimCouponLine] = Field(default_factory=list)  # type: ignore[assignment]
    tax_lines: list[SlimTaxLine] = Field(default_factory=list)  # type: ignore[assignment]
    refunds: list[SlimRefund] = Field(default_factory=list)  # type: ignore[assignment]
