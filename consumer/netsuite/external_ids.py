"""External ids: the keys that make every write an idempotent upsert (`PUT …/eid:<id>`).

NetSuite allows only letters, digits, `_` and `-` in an external id. A registered customer is keyed
by WooCommerce's customer id; a guest by the normalised (stripped, lowercased) billing email, so
one guest email is one NetSuite customer however many orders it places. Several shops booking into
one account set a store code (`NETSUITE_STORE_CODE`): `WOO_<code>_ORDER_<id>`, `WOO_<code>_CUST_<id>`,
`WOO_<code>_GUEST_<email>`, so their order and customer ids cannot collide; no code keeps the ids
every existing record already has.
"""

from __future__ import annotations

import hashlib
import re

from consumer.errors import Unmappable
from schemas.order import WooOrder

EXTERNAL_ID_LIMIT = 200
_HASH_MARK = "--h"  # never produced by _escape_email: keeps shortened ids apart from plain ones


def _escape_email(email: str) -> str:
    """Injective, externalId-safe: a-z0-9 kept, '.' → '_', '@' → '-at-', other bytes → '-%02x'.

    Decodable left to right ('-a' then 't' can only be '@', since 't' is no hex digit), hence
    injective. The output is lowercase, so it stays injective even if NetSuite compares ids
    case-insensitively.
    """
    out = []
    for ch in email:
        if "a" <= ch <= "z" or "0" <= ch <= "9":
            out.append(ch)
        elif ch == ".":
            out.append("_")
        elif ch == "@":
            out.append("-at-")
        else:
            out.extend(f"-{byte:02x}" for byte in ch.encode())
    return "".join(out)


def _prefix(store_code: str) -> str:
    return f"WOO_{store_code}_" if store_code else "WOO_"


def customer_external_id(order: WooOrder, store_code: str = "") -> str:
    """`WOO_CUST_<customer_id>`, or for guests `WOO_GUEST_<escaped lowercased email>`.

    Over 200 characters, a guest id keeps a prefix and ends in `--h` + 16 hex of the email's
    SHA-256. `--h` cannot occur in an escaped email ('-' starts '-at-' or a hex escape, or ends
    '-at-' after a 't'), so a shortened id never equals an unshortened one.
    """
    prefix = _prefix(store_code)
    if order.customer_id > 0:
        return f"{prefix}CUST_{order.customer_id}"
    if order.customer_id < 0:
        raise Unmappable(f"order {order.id}: negative customer_id")
    email = order.billing.email.strip().lower()
    if not email:
        raise Unmappable(f"order {order.id}: guest order without billing.email, no customer key")
    external_id = f"{prefix}GUEST_" + _escape_email(email)
    if len(external_id) > EXTERNAL_ID_LIMIT:
        digest = hashlib.sha256(email.encode()).hexdigest()[:16]
        keep = EXTERNAL_ID_LIMIT - len(_HASH_MARK) - len(digest)
        external_id = external_id[:keep] + _HASH_MARK + digest
    return external_id


def sales_order_external_id(order: WooOrder, store_code: str = "") -> str:
    return f"{_prefix(store_code)}ORDER_{order.id}"


_SALES_ORDER_ID = re.compile(r"WOO_(?:[A-Z0-9]{1,20}_)?ORDER_[1-9][0-9]*")


def is_sales_order_external_id(text: str | None) -> bool:
    """Whether `text` is a sales order's external id as we write them, for any store code."""
    return text is not None and _SALES_ORDER_ID.fullmatch(text) is not None


def payment_external_id(order: WooOrder, store_code: str = "") -> str:
    """`WOO_PAY_<order id>`: one payment per order (its Customer Deposit)."""
    return f"{_prefix(store_code)}PAY_{order.id}"


def refund_external_id(refund_id: int, store_code: str = "") -> str:
    """`WOO_REFUND_<refund id>`: WooCommerce refund ids are posts, unique across the shop's orders."""
    return f"{_prefix(store_code)}REFUND_{refund_id}"
