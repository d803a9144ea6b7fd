"""NetSuite's format checks on email and phone fields (400 USER_ERROR when they fail).

NetSuite validates email and phone field types on save rather than storing any text: an email must
look like `local@domain.tld` (ASCII, no spaces), a phone number needs at least seven digits and may
otherwise hold only separators and an extension ("Please enter a valid email address", "Phone
number should have seven digits or more" — wording *unconfirmed*; the rule set is the common
subset of what NetSuite accepts, so a value passing here passes there). An empty email is valid:
it clears the field. The production mapping applies the same rules (`consumer.netsuite.contact`)
so invalid text is kept in a note instead of failing the record.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_PHONE = re.compile(r"\+?[0-9 ()./-]+(?:\s*(?:x|ext\.?)\s*[0-9]+)?", re.IGNORECASE)
PHONE_LIMIT = 32
EMAIL_LIMIT = 254
PHONE_FIELDS = ("phone", "altPhone", "mobilePhone", "homePhone", "fax")


def valid_email(value: str) -> bool:
    return value == "" or (len(value) <= EMAIL_LIMIT and _EMAIL.fullmatch(value) is not None)


def valid_phone(value: str) -> bool:
    if value == "":
        return True
    digits = sum(ch.isdigit() and ch.isascii() for ch in value)
    return len(value) <= PHONE_LIMIT and digits >= 7 and _PHONE.fullmatch(value) is not None
