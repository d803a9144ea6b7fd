"""Which properties each record type knows, and NetSuite's field length limits.

Unknown properties are dropped as NetSuite drops them, or refused when the client sends
`X-NetSuite-PropertyNameValidation: Error`; custom fields are recognised by their prefix.
Limits follow shared/reference/netsuite.md (NetSuite's records browser).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_-]+$")
TRAN_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ADDRESS_LIMITS = {
    "addressee": 150,
    "attention": 150,
    "addr1": 150,
    "addr2": 150,
    "addr3": 150,
    "city": 50,
    "zip": 36,
    "state": 30,
    "addrPhone": 32,
}
CUSTOMER_LIMITS = {"firstName": 32, "lastName": 32}
SALES_ORDER_LIMITS = {"otherRefNum": 45, "memo": 4000}

ADDRESS_FIELDS = frozenset({*ADDRESS_LIMITS, "country", "override", "addrText"})
SALES_ORDER_FIELDS = frozenset(
    {
        "externalId", "entity", "subsidiary", "tranDate", "tranId", "memo", "otherRefNum",
        "currency", "exchangeRate", "shipMethod", "shippingCost", "discountItem", "discountRate",
        "item", "shippingAddress", "billingAddress", "shipAddress", "billAddress", "location",
        "department", "class", "customForm", "email", "orderStatus", "terms", "salesRep",
        "shipDate", "startDate", "endDate", "toBePrinted", "toBeEmailed", "source",
        "taxDetailsOverride", "taxDetails", "message",
    }
)  # fmt: skip
SALES_ORDER_LINE_FIELDS = frozenset(
    {
        "item", "quantity", "rate", "amount", "description", "price", "location", "line",
        "taxCode", "units", "isClosed", "department", "class", "taxDetailsReference",
    }
)  # fmt: skip
# salesOrder-taxDetailsElement in the REST API browser
TAX_DETAIL_FIELDS = frozenset(
    {
        "taxDetailsReference", "taxType", "taxCode", "taxBasis", "taxRate", "taxAmount", "netAmount",
        "grossAmount", "lineType", "lineName", "calcDetail", "line",
    }
)  # fmt: skip
# creditMemo and cashRefund (REST API browser; "Use Case for Creating a Credit Memo",
# section_0404042133; Cash Refund, section_40160920714: `account` the bank account refunded from)
CREDIT_FIELDS = frozenset(
    {
        "externalId", "entity", "subsidiary", "tranDate", "tranId", "memo", "otherRefNum", "currency",
        "exchangeRate", "item", "location", "department", "class", "customForm", "email",
        "taxDetailsOverride", "taxDetails", "billingAddress", "createdFrom", "account", "paymentOption",
        "salesRep", "message",
    }
)  # fmt: skip
CREDIT_LINE_FIELDS = frozenset(
    {
        "item", "quantity", "rate", "amount", "description", "price", "location", "line", "taxCode",
        "department", "class", "taxDetailsReference",
    }
)  # fmt: skip
# customerDeposit (REST API browser; Oracle's sample posts customer, currency, payment, paymentOption:
# "Customer Deposit", article_0830072110). There is no `paymentMethod` field on it.
DEPOSIT_FIELDS = frozenset(
    {
        "externalId", "customer", "payment", "currency", "exchangeRate", "salesOrder", "account",
        "undepFunds", "paymentOption", "tranDate", "tranId", "memo", "subsidiary", "department",
        "class", "location", "customForm", "handlingMode",
    }
)  # fmt: skip
# customerRefund: the deposits it gives back in `deposit` (lines keyed by `doc`; "Customer Refund",
# article_0830082954)
CUSTOMER_REFUND_FIELDS = frozenset(
    {
        "externalId", "customer", "account", "currency", "exchangeRate", "tranDate", "tranId", "memo",
        "paymentOption", "subsidiary", "department", "class", "location", "deposit", "customForm",
    }
)  # fmt: skip
REFUND_DEPOSIT_LINE_FIELDS = frozenset({"doc", "apply", "amount", "line"})
CUSTOMER_FIELDS = frozenset(
    {
        "externalId", "entityId", "isPerson", "firstName", "middleName", "lastName", "companyName",
        "salutation", "title", "email", "phone", "altPhone", "mobilePhone", "fax", "subsidiary",
        "currency", "category", "comments", "entityStatus", "priceLevel", "terms", "isInactive",
        "addressBook", "url", "currencyList",
    }
)  # fmt: skip
CURRENCY_LINE_FIELDS = frozenset({"currency", "line"})
ADDRESS_BOOK_LINE_FIELDS = frozenset(
    {"defaultBilling", "defaultShipping", "isResidential", "label", "addressBookAddress", "line"}
)
ITEM_FIELDS = frozenset(
    {
        "externalId", "itemId", "displayName", "description", "salesDescription", "isInactive",
        "basePrice", "subsidiary", "includeChildren", "taxSchedule", "upcCode", "cost",
        "matrixType", "parent",
    }
)  # fmt: skip

# Read-only properties a client may echo back from a GET: ignored even under strict validation.
IGNORED = frozenset(
    {"id", "links", "refName", "total", "subtotal", "taxTotal", "lastModifiedDate", "createdDate"}
)

BODY_FIELDS = {
    "salesOrder": (SALES_ORDER_FIELDS, "custbody_"),
    "customer": (CUSTOMER_FIELDS, "custentity_"),
    "creditMemo": (CREDIT_FIELDS, "custbody_"),
    "cashRefund": (CREDIT_FIELDS, "custbody_"),
    "customerDeposit": (DEPOSIT_FIELDS, "custbody_"),
    "customerRefund": (CUSTOMER_REFUND_FIELDS, "custbody_"),
    "inventoryItem": (ITEM_FIELDS, "custitem_"),
    "serviceItem": (ITEM_FIELDS, "custitem_"),
    "nonInventoryItem": (ITEM_FIELDS, "custitem_"),
    "shipItem": (ITEM_FIELDS, "custitem_"),
}
# (record type, sublist) -> (line fields, custom prefix, {subrecord field: its fields})
SUBLISTS: dict[tuple[str, str], tuple[frozenset[str], str, dict[str, frozenset[str]]]] = {
    ("salesOrder", "item"): (SALES_ORDER_LINE_FIELDS, "custcol_", {}),
    ("salesOrder", "taxDetails"): (TAX_DETAIL_FIELDS, "", {}),
    ("creditMemo", "item"): (CREDIT_LINE_FIELDS, "custcol_", {}),
    ("creditMemo", "taxDetails"): (TAX_DETAIL_FIELDS, "", {}),
    ("cashRefund", "item"): (CREDIT_LINE_FIELDS, "custcol_", {}),
    ("cashRefund", "taxDetails"): (TAX_DETAIL_FIELDS, "", {}),
    ("customerRefund", "deposit"): (REFUND_DEPOSIT_LINE_FIELDS, "", {}),
    ("customer", "addressBook"): (ADDRESS_BOOK_LINE_FIELDS, "", {"addressBookAddress": ADDRESS_FIELDS}),
    ("customer", "currencyList"): (CURRENCY_LINE_FIELDS, "", {}),
}
SUBRECORDS = {
    ("salesOrder", "shippingAddress"),
    ("salesOrder", "billingAddress"),
    ("creditMemo", "billingAddress"),
    ("cashRefund", "billingAddress"),
}

OnUnknown = Callable[[str], None]


def clean(record_type: str, body: dict[str, Any], on_unknown: OnUnknown) -> dict[str, Any]:
    """The body with unknown properties removed; `on_unknown(path)` is called for each one first."""
    known, prefix = BODY_FIELDS[record_type]
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in IGNORED:
            continue
        if key not in known and not key.startswith(prefix):
            on_unknown(key)
            continue
        sublist = SUBLISTS.get((record_type, key))
        if sublist is not None and isinstance(value, dict) and isinstance(value.get("items"), list):
            line_fields, line_prefix, subrecords = sublist
            lines = []
            for i, line in enumerate(value["items"]):
                where = f"{key}.items[{i}]"
                lines.append(_clean_obj(line, line_fields, line_prefix, where, on_unknown, subrecords))
            out[key] = {"items": lines}
        elif (record_type, key) in SUBRECORDS and isinstance(value, dict):
            out[key] = _clean_obj(value, ADDRESS_FIELDS, "custrecord_", key, on_unknown, {})
        else:
            out[key] = value
    return out


def _clean_obj(
    obj: Any,
    known: frozenset[str],
    prefix: str,
    where: str,
    on_unknown: OnUnknown,
    subrecords: dict[str, frozenset[str]],
) -> Any:
    if not isinstance(obj, dict):
        return obj  # validation reports the wrong type with its path
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if key in IGNORED:
            continue
        if key not in known and not (prefix and key.startswith(prefix)):
            on_unknown(f"{where}.{key}")
            continue
        if key in subrecords and isinstance(value, dict):
            value = _clean_obj(value, subrecords[key], "custrecord_", f"{where}.{key}", on_unknown, {})
        out[key] = value
    return out
