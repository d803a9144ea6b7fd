"""Keep personal data out of the reason a record carries in its headers (`x-error-message`).

Headers are read by people and tools that never see record values (kafka-ui lists, `redrive --list`,
log shippers), so they must hold no emails, names, addresses or phones — but NetSuite's error detail
echoes field values ("Invalid Field Value <value> for the following field: email"). Two layers:

1. every personal value the order itself holds (billing and shipping names, company, street lines,
   city, postcode, email, phone, the customer's note) is replaced where it appears as a whole word,
   a phone also with its digits spaced otherwise and with or without its country code, `00` or the
   national `0` (`+49 170 1234567` echoed as `+491701234567`, `0049…`, `0170 1234567`, `(0)170…`) —
   for phones of 8 to 15 digits whose number without its code has 8 or more (fewer could be an
   amount's or an id's digits); any other phone only as written;
2. what still looks like an email address is replaced too, and so is a guest customer's external id
   after its `GUEST_` (`WOO_GUEST_anna-at-example_com`, with or without a store code: the escaped
   email an error quotes as a reference) — an undecodable record has no order to take values from;
   its reasons are our own and quote no values (`schemas.serde`).

`[redacted]` stands in for each. Field names, codes, SKUs, amounts and ids stay: they are the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from schemas.order import Address, WooOrder

MARK = "[redacted]"
_ADDRESS_FIELDS = ("first_name", "last_name", "company", "address_1", "address_2", "city", "postcode")
# the lookbehind: a match starts where a local part starts, never again inside one (a long word without
# '@' was tried from each of its characters: quadratic)
_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_GUEST_KEY = re.compile(r"(?<=GUEST_)[A-Za-z0-9_-]+")  # consumer.netsuite.external_ids' escaped email
_PHONE_GAP = r"[\s().\-/]*"  # what people put between a phone's digits
_PHONE_MIN_DIGITS = 8  # a shorter number, spaced otherwise, could be an amount or an id
_PHONE_MAX_DIGITS = 15  # E.164's longest; patterns for longer "phones" cost ~130 µs a digit to build


def personal_values(order: WooOrder | None) -> list[str]:
    """The order's personal values, longest first (so 'Anna Lena' goes before 'Anna')."""
    if order is None:
        return []
    values: set[str] = set()
    for address in (order.billing, order.shipping):
        values.update(_address_values(address))
    if order.customer_note.strip():
        values.add(order.customer_note.strip())
    return sorted(values, key=len, reverse=True)


def _address_values(address: Address) -> Iterable[str]:
    for name in (*_ADDRESS_FIELDS, "email", "phone"):
        value = str(getattr(address, name, "") or "").strip()
        if value:
            yield value
    full = f"{address.first_name} {address.last_name}".strip()
    if full:
        yield full


def redact(text: str, order: WooOrder | None) -> str:
    for value in personal_values(order):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", MARK, text, flags=re.IGNORECASE)
    for pattern in _phone_patterns(order):
        text = pattern.sub(MARK, text)
    return _GUEST_KEY.sub(MARK, _EMAIL.sub(MARK, text))


def _phone_patterns(order: WooOrder | None) -> list[re.Pattern[str]]:
    """One pattern per reading of each phone: (country code, national number) as written with `+`
    or `00` (the code is 1-3 digits: each length is a reading), or the national number after a
    leading `0`; a phone with neither may be either. Each matches that number with any spacing, its
    code (with or without `+` / `00`) or a national `0` / `(0)` optional in front — never inside a
    longer number."""
    if order is None:
        return []
    patterns = []
    for phone in {order.billing.phone or "", order.shipping.phone or ""}:
        digits = re.sub(r"\D", "", phone)
        if not _PHONE_MIN_DIGITS <= len(digits) <= _PHONE_MAX_DIGITS:
            continue
        international = phone.strip().startswith("+") or digits.startswith("00")
        digits = digits.removeprefix("00")
        readings: list[tuple[str | None, str]]
        if digits.startswith("0") and not international:
            readings = [(None, digits[1:])]
        else:
            readings = [(digits[:k], digits[k:]) for k in (1, 2, 3)]
            readings += [] if international else [(None, digits)]
        gap = _PHONE_GAP
        for code, national in readings:
            national = national.removeprefix("0")
            if len(national) < _PHONE_MIN_DIGITS:  # the prefix is optional: this alone would match
                continue
            country = gap.join(code) if code else r"\d{1,3}"
            # starts at a '+', '0' or digit, never at a gap: a run of spaces is not tried from each one
            prefix = rf"(?:(?:(?:\+|00){gap})?{country}(?:{gap}\(0\))?{gap}|0{gap})?"
            patterns.append(re.compile(rf"(?<![\w+]){prefix}{gap.join(national)}(?!\d)"))
    return patterns
