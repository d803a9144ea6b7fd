"""The WooCommerce order as we accept it, and the event that carries it through Kafka.

`WooOrder` validates a webhook body (REST v3 shape). Money stays a decimal string exactly as
WooCommerce sent it ("64.22"): never the float `price`. Unknown fields are kept (`extra="allow"`)
and the raw webhook bytes travel in the event, so a replay can re-map from the source.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StrictStr,
    StringConstraints,
    Tag,
    ValidationError,
)
from pydantic_core import ErrorDetails

# Bounded so every amount the mapping reads survives its arithmetic: 12 integer digits plus the
# currency's (at most 3) minor digits stay within the 15 significant digits a JSON number carries
# exactly (`consumer.netsuite.money.to_json_number`) and far inside `Decimal`'s 28-digit context (an
# unbounded string raised `InvalidOperation` in the consumer). A shop's "number of decimals" can
# exceed the currency's, so up to 8 decimals are accepted (and rounded to the currency there).
MONEY_INTEGER_DIGITS, MONEY_DECIMAL_DIGITS = 12, 8
_MONEY_PATTERN = rf"^-?\d{{1,{MONEY_INTEGER_DIGITS}}}(\.\d{{1,{MONEY_DECIMAL_DIGITS}}})?$"
_MONEY = re.compile(_MONEY_PATTERN)
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


def _money(value: Any) -> str:
    """Accept WooCommerce money: a decimal string (or an int); reject floats, junk and absurd sizes."""
    if value is None or value == "":
        return "0"
    if isinstance(value, (bool, float)):
        raise ValueError("money must be a decimal string, not a float")
    text = str(value).strip()
    if not _DECIMAL.match(text):
        raise ValueError(f"not a decimal amount: {text[:20]!r}")
    if not _MONEY.match(text):
        raise ValueError(
            f"amount out of range: at most {MONEY_INTEGER_DIGITS} integer and "
            f"{MONEY_DECIMAL_DIGITS} decimal digits"
        )
    try:
        Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex already rules this out
        raise ValueError("not a decimal amount") from exc
    return text


_FINE_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMAL_DIGITS)
_LONG_DECIMAL = re.compile(r"^-?\d{1,12}(\.\d{1,40})?$")


def _fine_money(value: Any) -> str:
    """A tax share at full precision. WooCommerce formats line `taxes[]` from PHP floats ("6.8058",
    "0.93100000000000005"), so more decimals than money has are accepted; past 8 they are float
    noise and are rounded away (half-even) so the text stays within what the mapping carries."""
    if value is None or value == "":
        return "0"
    if isinstance(value, bool):
        raise ValueError("a tax amount must be a number")
    text = repr(value) if isinstance(value, float) else str(value).strip()
    if not _LONG_DECIMAL.match(text):
        raise ValueError(f"not a decimal amount: {text[:20]!r}")
    exact = Decimal(text)
    if exact.as_tuple().exponent < -MONEY_DECIMAL_DIGITS:  # type: ignore[operator]
        exact = exact.quantize(_FINE_QUANTUM)
    return str(exact)


def _text(value: Any) -> str:
    """Strings as given; None → ''; numbers (e.g. an int postcode) → their text."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        raise ValueError("expected text")
    return str(value)


_GMT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _gmt(value: Any) -> str | None:
    """WooCommerce's naive GMT timestamps ('2025-03-14T09:15:30'); None stays None.

    The pattern alone let '…T24:00:00' or a 13th month through, which then raised in the consumer
    after the order was written; the first 19 characters must be a real date and time.
    """
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not _GMT.match(value):
        raise ValueError("expected an ISO timestamp like 2025-03-14T09:15:30")
    if not real_time(value[:19]):
        raise ValueError("not a real date and time (expected e.g. 2025-03-14T09:15:30)")
    return value


def real_time(text: str) -> bool:
    """Whether `text` (shaped by `_GMT`) is what `strptime(text, "%Y-%m-%dT%H:%M:%S")` accepts.

    For ASCII digits `fromisoformat` gives the same answer in a fortieth of the time (strptime was
    the costliest part of validating an order: four or five timestamps each); `\\d` also matches other
    Unicode digits, which only strptime reads as before.
    """
    try:
        if text.isascii():
            datetime.fromisoformat(text)
        else:
            datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


# Fast path: a value that is already what the Python validator would return unchanged (a string;
# for money one matching the pattern exactly) is taken by pydantic-core itself, no Python call —
# ~70 of them per order otherwise. Anything else (None, ints, floats, junk) goes on to the Python
# validator, whose error is the one reported (`order_errors` drops the fast branch's).
_FAST, _CHECKED = "fast-path", "checked"
Money = Annotated[
    Annotated[str, StringConstraints(strict=True, pattern=_MONEY_PATTERN), Tag(_FAST)]
    | Annotated[str, BeforeValidator(_money), Tag(_CHECKED)],
    Field(union_mode="left_to_right"),
]
Text = Annotated[
    Annotated[StrictStr, Tag(_FAST)] | Annotated[str, BeforeValidator(_text), Tag(_CHECKED)],
    Field(union_mode="left_to_right"),
]
GmtTime = Annotated[str | None, BeforeValidator(_gmt)]
LocalTime = GmtTime  # the same naive ISO shape, in the shop's time zone (WooCommerce's `date_created`)
# A tax share `_fine_money` returns unchanged: ASCII, no leading zero, at most 8 decimals (nothing to
# round), and no more than 6 after a zero integer part (`str(Decimal("0.0000001"))` is "1E-7").
FINE_MONEY_FAST_PATTERN = r"^-?(?:[1-9][0-9]{0,11}(?:\.[0-9]{1,8})?|0(?:\.[0-9]{1,6})?)$"
FineMoney = Annotated[
    Annotated[str, StringConstraints(strict=True, pattern=FINE_MONEY_FAST_PATTERN), Tag(_FAST)]
    | Annotated[str, BeforeValidator(_fine_money), Tag(_CHECKED)],
    Field(union_mode="left_to_right"),
]
# Avro `long`: an id beyond it is refused here (400), not when the record is encoded.
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
Long = Annotated[StrictInt, Field(ge=_LONG_MIN, le=_LONG_MAX)]


def order_errors(exc: ValidationError) -> list[ErrorDetails]:
    """The validation errors as if every field had one validator (no fast-path union branches)."""
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        if _FAST in err["loc"]:
            continue
        err["loc"] = tuple(p for p in err["loc"] if p != _CHECKED)
        out.append(err)
    return out


class _Lenient(BaseModel):
    """Sub-objects: unknown fields kept, empty PHP arrays (`[]`) accepted for objects."""

    model_config = ConfigDict(extra="allow", frozen=True)


class Address(_Lenient):
    first_name: Text = ""
    last_name: Text = ""
    company: Text = ""
    address_1: Text = ""
    address_2: Text = ""
    city: Text = ""
    state: Text = ""
    postcode: Text = ""
    country: Text = ""
    email: Text = ""
    phone: Text = ""


class MetaData(_Lenient):
    key: Text = ""
    value: Any = None
    display_key: Text | None = None
    display_value: Any = None


class LineTax(_Lenient):
    """One tax rate's share of a line (`taxes[]` of line items, shipping and fee lines)."""

    id: Long = 0  # the tax rate id (tax_lines[].rate_id)
    total: FineMoney = "0"
    subtotal: FineMoney = "0"


class LineItem(_Lenient):
    id: Long = 0
    name: Text = ""
    product_id: Long = 0
    variation_id: Long = 0
    quantity: Annotated[int, Field(ge=0, le=_LONG_MAX)] = 1
    sku: Text = ""
    subtotal: Money = "0"
    subtotal_tax: Money = "0"
    total: Money = "0"
    total_tax: Money = "0"
    taxes: list[LineTax] = Field(default_factory=list)
    meta_data: list[MetaData] = Field(default_factory=list)


class ShippingLine(_Lenient):
    id: Long = 0
    method_id: Text = ""
    method_title: Text = ""
    total: Money = "0"
    total_tax: Money = "0"
    taxes: list[LineTax] = Field(default_factory=list)


class FeeLine(_Lenient):
    id: Long = 0
    name: Text = ""
    total: Money = "0"
    total_tax: Money = "0"
    taxes: list[LineTax] = Field(default_factory=list)


class CouponLine(_Lenient):
    id: Long = 0
    code: Text = ""
    discount: Money = "0"
    discount_tax: Money = "0"


class TaxLine(_Lenient):
    id: Long = 0
    rate_id: Long = 0
    rate_code: Text = ""
    label: Text = ""
    compound: bool = False
    tax_total: Money = "0"
    shipping_tax_total: Money = "0"
    rate_percent: Text = ""


class Refund(_Lenient):
    """One refund as the order payload lists it: `{"id": 726, "reason": "", "total": "-10.00"}`
    (WooCommerce's orders controller, `get_order_refunds`); negative, newest first."""

    id: Long = 0
    reason: Text = ""
    total: Money = "0"


def _php_empty_object(value: Any) -> Any:
    """PHP's json_encode writes an empty associative array as `[]`."""
    return {} if value == [] else value


class WooOrder(_Lenient):
    """A WooCommerce order (REST v3 shape). Only `id` is strictly required."""

    id: StrictInt = Field(gt=0, le=_LONG_MAX)
    parent_id: Long = 0
    number: Text = ""
    status: Text = "pending"
    currency: Text = "USD"
    prices_include_tax: bool = False
    date_created_gmt: GmtTime = None
    date_created: LocalTime = None
    date_modified_gmt: GmtTime = None
    date_paid_gmt: GmtTime = None
    date_completed_gmt: GmtTime = None
    customer_id: Long = 0
    customer_note: Text = ""
    payment_method: Text = ""
    payment_method_title: Text = ""
    transaction_id: Text = ""
    discount_total: Money = "0"
    discount_tax: Money = "0"
    shipping_total: Money = "0"
    shipping_tax: Money = "0"
    cart_tax: Money = "0"
    total: Money = "0"
    total_tax: Money = "0"
    billing: Annotated[Address, BeforeValidator(_php_empty_object)] = Field(default_factory=Address)
    shipping: Annotated[Address, BeforeValidator(_php_empty_object)] = Field(default_factory=Address)
    line_items: list[LineItem] = Field(default_factory=list)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)
    coupon_lines: list[CouponLine] = Field(default_factory=list)
    tax_lines: list[TaxLine] = Field(default_factory=list)
    refunds: list[Refund] = Field(default_factory=list)

    @property
    def order_number(self) -> str:
        return self.number or str(self.id)

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES or self.date_paid_gmt is not None


class WebhookOrder(WooOrder):
    """An order as a webhook must deliver it: besides `id`, every field the mapping reads is present.

    WooCommerce always sends these in an order payload; a body without them is not an order delivery
    and is refused at the door (400) rather than published and later skipped as an unpaid order.
    Values may still be empty or null where WooCommerce allows it (a draft has no `date_paid_gmt`).
    Kafka records decode into the lenient `WooOrder`, so old records stay readable.
    """

    status: Text
    currency: Text
    total: Money
    date_created_gmt: GmtTime
    date_modified_gmt: GmtTime
    billing: Annotated[Address, BeforeValidator(_php_empty_object)]
    line_items: list[LineItem]


PAID_STATUSES = frozenset({"processing", "completed"})
UNPAID_STATUSES = frozenset({"pending", "failed", "on-hold", "checkout-draft"})


class OrderEvent(BaseModel):
    """What travels on the orders topic: the validated order plus its delivery envelope."""

    model_config = ConfigDict(frozen=True)

    order: WooOrder
    webhook_topic: str = "order.created"
    received_at_ms: int = 0
    webhook_id: str = ""
    delivery_id: str = ""
    source: str = ""
    raw_body: bytes = b""

    @property
    def key(self) -> bytes:
        """The Kafka key: the order id as UTF-8 decimal text (contract)."""
        return str(self.order.id).encode()
