"""WooCommerce address → NetSuite address subrecord, within NetSuite's field limits, losing nothing.

NetSuite rejects (400 USER_ERROR) rather than truncates a value over a field's limit, and the
contract says over-long address text is neither rejected nor lost. So:

- Street: `address_1` goes to `addr1` and `address_2` to `addr2` while each fits. When one does
  not, the street text *flows*: `address_1` cut into ≤150-character pieces, then `address_2` the
  same, the pieces filling `addr1`, `addr2`, `addr3` in order. Cuts prefer a whitespace boundary
  and keep every character (piece₁ + piece₂ + … == the original), so `addr1 + addr2 + addr3`
  contains each source line that was placed whole.
- A source value that does not fit whole — a street line that did not get all its pieces into the
  three lines, or an over-long `city`, `postcode`, `state`, `phone`, addressee or attention — keeps
  a prefix (cut at a word boundary when possible) in its field and is returned as an *overflow*:
  `(label, full value)`. The sales-order mapping writes each as `Full <label>: <value>` into the
  memo; the customer address book (which has no memo) only warns.
- The addressee is the company when there is one (the person then goes to `attention`), otherwise
  "first last".
- `addrPhone` is a phone field: text NetSuite would refuse as a phone number (`contact.valid_phone`:
  too few digits, words, over 32 characters) is left out ('') and returned as an overflow, so the
  memo keeps it.

Lengths are counted in UTF-16 code units (what a Java/JavaScript string length reports), which is
never less than the count of Unicode characters: a limit is never exceeded whichever NetSuite uses.
Cuts never split a surrogate pair.

Labels and warnings name fields only (`billing.city`); values are personal data and appear only in
the returned fields and overflow entries, never in a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from consumer.netsuite.contact import valid_phone
from schemas.order import Address

#: NetSuite address subrecord field limits (records browser; see reference/netsuite.md).
LIMITS: dict[str, int] = {
    "addressee": 150,
    "attention": 150,
    "addr1": 150,
    "addr2": 150,
    "addr3": 150,
    "city": 50,
    "state": 30,
    "zip": 36,
    "addrPhone": 32,
}
STREET_FIELDS = ("addr1", "addr2", "addr3")
_WHITESPACE = re.compile(r"\s")


def width(text: str) -> int:
    """Length in UTF-16 code units: characters outside the BMP (emoji, rare CJK) count twice."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def cut(text: str, limit: int) -> tuple[str, str]:
    """Split `text` into `(head, tail)` with `head + tail == text` and `width(head) <= limit`.

    The cut goes just after the last whitespace in the head when that keeps at least half of the
    room used, so words stay whole; otherwise it is a hard cut at the limit.
    """
    used = 0
    end = 0
    for end, ch in enumerate(text):  # noqa: B007 - `end` is used after the loop
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            break
    else:
        return text, ""
    head = text[:end]
    spaces = [m.end() for m in _WHITESPACE.finditer(head)]
    if spaces and spaces[-1] * 2 >= len(head):
        end = spaces[-1]
    return text[:end], text[end:]


def pieces(text: str, limit: int) -> list[str]:
    """`text` cut into pieces of at most `limit` that concatenate back to `text` ([] for '')."""
    out: list[str] = []
    while text:
        head, text = cut(text, limit)
        out.append(head)
    return out


@dataclass(frozen=True)
class MappedAddress:
    """An address subrecord plus what did not fit in it.

    `fields`: the NetSuite subrecord (every text field present, '' when empty; `country` only when
    there is a valid code). `overflow`: `(label, full value)` for each source value not carried
    whole, e.g. `("billing city", "…")`. `split`: labels of source lines carried whole but spread
    over several address lines (worth a warning, nothing lost).
    """

    fields: dict[str, Any]
    overflow: tuple[tuple[str, str], ...]
    split: tuple[str, ...]


def is_empty(address: Address) -> bool:
    """True when the address has nothing to ship to (WooCommerce sends all-empty for no shipping)."""
    parts = (
        address.first_name,
        address.last_name,
        address.company,
        address.address_1,
        address.address_2,
        address.city,
        address.postcode,
        address.country,
    )
    return not any(part.strip() for part in parts)


def person_name(address: Address) -> str:
    return " ".join(p for p in (address.first_name.strip(), address.last_name.strip()) if p)


def map_address(address: Address, role: str) -> MappedAddress:
    """Map one WooCommerce address; `role` ('billing' / 'shipping') prefixes the labels."""
    overflow: list[tuple[str, str]] = []
    split: list[str] = []
    fields: dict[str, Any] = {}

    company = address.company.strip()
    name = person_name(address)
    singles = {
        "addressee": ("addressee", company or name),
        "attention": ("attention", name if company else ""),
        "city": ("city", address.city.strip()),
        "state": ("state", address.state.strip()),
        "zip": ("postcode", address.postcode.strip()),
        "addrPhone": ("phone", address.phone.strip()),
    }
    for ns_field, (source, value) in singles.items():
        limit = LIMITS[ns_field]
        if ns_field == "addrPhone" and value and not valid_phone(value):
            fields[ns_field] = ""
            overflow.append((f"{role} {source}", value))
        elif width(value) <= limit:
            fields[ns_field] = value
        else:
            fields[ns_field] = cut(value, limit)[0].rstrip()
            overflow.append((f"{role} {source}", value))

    fields.update(_street(address, role, overflow, split))

    country = address.country.strip().upper()
    if re.fullmatch(r"[A-Z]{2}", country):
        fields["country"] = {"id": country}
    elif country:
        overflow.append((f"{role} country", address.country.strip()))

    ordered = {key: fields[key] for key in _FIELD_ORDER if key in fields}
    return MappedAddress(ordered, tuple(overflow), tuple(split))


_FIELD_ORDER = ("addressee", "attention", *STREET_FIELDS, "city", "state", "zip", "country", "addrPhone")


def _street(address: Address, role: str, overflow: list[tuple[str, str]], split: list[str]) -> dict[str, str]:
    """Fill addr1..addr3 from address_1 / address_2 (see the module docstring)."""
    sources = [("address_1", address.address_1.strip()), ("address_2", address.address_2.strip())]
    limit = LIMITS["addr1"]
    if all(width(value) <= limit for _, value in sources):
        return {"addr1": sources[0][1], "addr2": sources[1][1], "addr3": ""}

    lines: list[str] = []
    for source, value in sources:
        chunks = pieces(value, limit)
        room = len(STREET_FIELDS) - len(lines)
        lines.extend(chunks[:room])
        if len(chunks) > room:
            overflow.append((f"{role} {source}", value))
        elif len(chunks) > 1:
            split.append(f"{role}.{source}")
    lines += [""] * (len(STREET_FIELDS) - len(lines))
    return dict(zip(STREET_FIELDS, lines, strict=True))
