"""What NetSuite accepts in email and phone fields, so invalid text never reaches one.

NetSuite validates email and phone fields on save (a phone number needs at least seven digits and
may hold only separators and an extension; an email must be `local@domain.tld` in ASCII) and
refuses the whole record otherwise (400 USER_ERROR). A WooCommerce checkout accepts anything, so the
mapping checks first: a value NetSuite would refuse is left out of its field and kept in a note
(the customer's `comments`, the sales order's memo), never lost. The rules are the common subset of
what NetSuite accepts (*unconfirmed* beyond that; the simulator applies the same ones).
"""

from __future__ import annotations

import re

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~.-]+@{_LABEL}(?:\.{_LABEL})+")
_PHONE = re.compile(r"\+?[0-9 ()./-]+(?:\s*(?:x|ext\.?)\s*[0-9]+)?", re.IGNORECASE)
PHONE_LIMIT = 32
EMAIL_LIMIT = 254


def valid_email(value: str) -> bool:
    return len(value) <= EMAIL_LIMIT and _EMAIL.fullmatch(value) is not None


def valid_phone(value: str) -> bool:
    digits = sum(ch.isdigit() and ch.isascii() for ch in value)
    return len(value) <= PHONE_LIMIT and digits >= 7 and _PHONE.fullmatch(value) is not None
