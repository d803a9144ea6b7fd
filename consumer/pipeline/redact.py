"""Keep personal data out of the reason a record carries in its headers (`x-error-message`).

Headers are read by people and tools that never see record values (kafka-ui lists, `redrive --list`,
log shippers), so they must hold no emails, names, addresses or phones — but NetSuite's error detail
echoes field values ("Invalid Field Value <value> for the following field: email"). Two layers:

1. every personal value the order itself holds (billing and shipping names, company, street lines,
   city, postcode, email, phone, the customer's note) is replaced where it appears as a whole word,
   a phone also with its digits spaced otherwise (`+49 170 1234567` echoed as `+491701234567`);
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
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
_GUEST_KEY = re.compile(r"(?<=GUEST_)[A-Za-z0-9_-]+")  # consumer.netsuite.external_ids' escaped email
_PHONE_GAP = r"[\s().\-/]*"  # what people put between a phone's digits
_PHONE_MIN_DIGITS = 6  # shorter runs would take amounts and ids with them


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
    for digits in _phone_digits(order):
        text = re.sub(rf"(?<![\w+])\+?{_PHONE_GAP.join(digits)}(?!\d)", MARK, text)
    return _GUEST_KEY.sub(MARK, _EMAIL.sub(MARK, text))


def _phone_digits(order: WooOrder | None) -> set[str]:
    if order is None:
        return set()
    phones = (re.sub(r"\D", "", order.billing.phone or ""), re.sub(r"\D", "", order.shipping.phone or ""))
    return {p for p in phones if len(p) >= _PHONE_MIN_DIGITS}
