"""Money for the mapping: WooCommerce's decimal strings → `Decimal`, rounded to the currency.

Why `Decimal` and strings: WooCommerce sends money as strings ("64.22") and the line `price` as an
unrounded float (`5.0682260000000001`); only the strings add up to the order total, so every sum and
comparison here is done in `Decimal` and the float `price` is never read.

Why a precision table: most currencies have 2 minor digits, some 0 (JPY, KRW, …) and a few 3 (BHD,
KWD, …). WooCommerce's own "number of decimals" is a shop setting we do not receive, so the ISO 4217
minor unit of the order's currency decides. Rounding is ROUND_HALF_UP (commercial rounding, what
WooCommerce's `round()` does for positive amounts).

Why floats at the very end: the body goes to `requests(json=...)`, which cannot encode `Decimal`.
A `Decimal` with at most 15 significant digits survives float → `repr` → `Decimal` unchanged, and
`to_json_number` proves that for every amount instead of assuming it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from consumer.errors import Unmappable

#: ISO 4217 currencies whose minor unit is not 2 (as commonly used by payment providers).
_MINOR_DIGITS: dict[str, int] = {
    # no minor unit
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    # three minor digits
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}


def minor_digits(currency: str) -> int:
    """Decimal places of `currency` (ISO 4217 code, any case); 2 when not in the table."""
    return _MINOR_DIGITS.get(currency.strip().upper(), 2)


def quantum(currency: str) -> Decimal:
    """The smallest amount of `currency`: Decimal('0.01'), Decimal('1'), Decimal('0.001')."""
    return Decimal(1).scaleb(-minor_digits(currency))


def round_money(value: Decimal, currency: str) -> Decimal:
    """`value` rounded half-up to the currency's precision."""
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def exact(text: str, *, field: str) -> Decimal:
    """A WooCommerce money string at full precision (figures are summed before anything is rounded)."""
    try:
        value = Decimal(text.strip() or "0")
    except InvalidOperation as exc:
        raise Unmappable(f"{field} is not a decimal amount") from exc
    if not value.is_finite():
        raise Unmappable(f"{field} is not a finite amount")
    return value


def to_places(value: Decimal, places: int) -> Decimal:
    """`value` rounded half-up to `places` decimals (NetSuite's currency precision)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def unit_rate(amount: Decimal, quantity: int, places: int, *, field: str) -> float:
    """The unrounded unit rate as a JSON number, such that rate x quantity rounds back to `amount`.

    A rate rounded to the currency (33.33 for 100.00 / 3) would make NetSuite's rate x quantity a
    cent off the amount; the float nearest the exact quotient carries 15+ significant digits.
    """
    rate = float(amount / quantity)
    if to_places(Decimal(repr(rate)) * quantity, places) != amount:  # pragma: no cover - float exactness
        raise Unmappable(f"{field}: no JSON rate gives {amount} for quantity {quantity}")
    return rate


def parse_money(text: str, currency: str, *, field: str) -> Decimal:
    """A WooCommerce money string as a rounded `Decimal`; `field` names it in the error."""
    try:
        value = Decimal(text.strip() or "0")
    except InvalidOperation as exc:
        raise Unmappable(f"{field} is not a decimal amount") from exc
    if not value.is_finite():
        raise Unmappable(f"{field} is not a finite amount")
    return round_money(value, currency)


def to_json_number(value: Decimal, *, field: str) -> float:
    """`value` as a JSON-ready float, refusing any amount a float would not carry exactly."""
    number = float(value)
    if Decimal(repr(number)) != value:
        raise Unmappable(f"{field}: amount {value} cannot be sent exactly as a JSON number")
    return number
