"""NetSuite's checks on a record body: 400 USER_ERROR with `o:errorPath` at the offending value.

Two passes: `check_body` looks at what the request sent (types, lengths, references, external id),
so paths match the request's own line indexes; `check_complete` looks at the record as it would be
saved (required fields, at least one line) after an update merged old and new.
"""

from __future__ import annotations

from typing import Any

from devstack.netsuite_sim.errors import ApiError, user_error
from devstack.netsuite_sim.fields import (
    ADDRESS_LIMITS,
    CUSTOMER_LIMITS,
    EXTERNAL_ID,
    SALES_ORDER_LIMITS,
    TRAN_DATE,
)
from devstack.netsuite_sim.store import ITEM_TYPES, RecordStore


def check_body(record_type: str, body: dict[str, Any], store: RecordStore) -> None:
    if "externalId" in body:
        external_id = body["externalId"]
        if not isinstance(external_id, str) or not EXTERNAL_ID.match(external_id):
            raise user_error(
                "Invalid externalId: use only letters, digits, underscore and hyphen.", "externalId"
            )
    if record_type == "salesOrder":
        _check_sales_order(body, store)
    elif record_type == "customer":
        _check_customer(body)
    elif record_type in ITEM_TYPES and "itemId" in body:
        _check_text(body, "itemId", 60, "itemId")


def check_complete(record_type: str, record: dict[str, Any]) -> None:
    if record_type == "salesOrder":
        if not record.get("entity"):
            raise user_error("Please enter value(s) for: Customer", "entity")
        lines = record.get("item", {}).get("items")
        if not lines:
            raise user_error("You must enter at least one line item for this transaction.", "item")
        for i, line in enumerate(lines):  # e.g. a `line` number that named no existing line
            if "item" not in line:
                raise user_error("Please enter value(s) for: Item", f"item.items[{i}].item")
    elif record_type == "customer":
        if record.get("isPerson") is True or (
            record.get("isPerson") is None and not record.get("companyName")
        ):
            for name in ("firstName", "lastName"):
                if not record.get(name):
                    label = "First Name" if name == "firstName" else "Last Name"
                    raise user_error(f"Please enter value(s) for: {label}", name)
        elif not record.get("companyName"):
            raise user_error("Please enter value(s) for: Company Name", "companyName")
    elif record_type in ITEM_TYPES and not record.get("itemId"):
        raise user_error("Please enter value(s) for: Item Name/Number", "itemId")


def _check_sales_order(body: dict[str, Any], store: RecordStore) -> None:
    for name, limit in SALES_ORDER_LIMITS.items():
        _check_text(body, name, limit, name)
    if "entity" in body:
        entity_id = _reference_id(body["entity"], "entity")
        if store.find("customer", entity_id) is None:
            raise _invalid_value(entity_id, "entity", "entity")
    if "discountItem" in body:
        _check_item(_reference_id(body["discountItem"], "discountItem"), "discountItem", store)
    if "tranDate" in body and not (isinstance(body["tranDate"], str) and TRAN_DATE.match(body["tranDate"])):
        raise _invalid_value(body["tranDate"], "tranDate", "tranDate")
    for name in ("shippingCost", "discountRate", "exchangeRate"):
        if name in body and not _is_number(body[name]):
            raise _invalid_value(body[name], name, name)
    for name in ("shippingAddress", "billingAddress"):
        if name in body:
            _check_address(body[name], name)
    if "item" in body:
        sublist = body["item"]
        if not isinstance(sublist, dict) or not isinstance(sublist.get("items"), list):
            raise user_error('Invalid content for sublist item: expected {"items": [...]}.', "item")
        for i, line in enumerate(sublist["items"]):
            _check_line(line, f"item.items[{i}]", store)


def _check_line(line: Any, path: str, store: RecordStore) -> None:
    if not isinstance(line, dict):
        raise user_error("Invalid content for a sublist line.", path)
    if "item" in line:
        _check_item(_reference_id(line["item"], f"{path}.item"), f"{path}.item", store)
    elif "line" not in line:  # a line named by `line` is an existing one being changed: it has its item
        raise user_error("Please enter value(s) for: Item", f"{path}.item")
    if "quantity" in line:
        quantity = line["quantity"]
        if not _is_number(quantity) or quantity <= 0:
            raise _invalid_value(quantity, "quantity", f"{path}.quantity")
    for name in ("rate", "amount"):
        if name in line and not _is_number(line[name]):
            raise _invalid_value(line[name], name, f"{path}.{name}")
    _check_text(line, "description", 4000, f"{path}.description")


def _check_customer(body: dict[str, Any]) -> None:
    for name, limit in CUSTOMER_LIMITS.items():
        _check_text(body, name, limit, name)
    if "isPerson" in body and not isinstance(body["isPerson"], bool):
        raise _invalid_value(body["isPerson"], "isPerson", "isPerson")
    if "email" in body and not (isinstance(body["email"], str) and "@" in body["email"]):
        raise user_error("Please enter a valid email address.", "email")
    if "subsidiary" in body:
        _reference_id(body["subsidiary"], "subsidiary")
    book = body.get("addressBook")
    if book is not None:
        if not isinstance(book, dict) or not isinstance(book.get("items"), list):
            raise user_error("Invalid content for sublist addressBook.", "addressBook")
        for i, line in enumerate(book["items"]):
            path = f"addressBook.items[{i}]"
            if not isinstance(line, dict):
                raise user_error("Invalid content for a sublist line.", path)
            if "addressBookAddress" in line:
                _check_address(line["addressBookAddress"], f"{path}.addressBookAddress")


def _check_address(address: Any, path: str) -> None:
    if not isinstance(address, dict):
        raise user_error("Invalid content for an address subrecord.", path)
    for name, limit in ADDRESS_LIMITS.items():
        _check_text(address, name, limit, f"{path}.{name}")


def _check_item(item_id: str, path: str, store: RecordStore) -> None:
    item = store.find_item(item_id)
    if item is None or item.get("isInactive") is True:
        raise _invalid_value(item_id, path.rsplit(".", 1)[-1], path)


def _check_text(obj: dict[str, Any], name: str, limit: int, path: str) -> None:
    if name not in obj or obj[name] is None:
        return
    value = obj[name]
    if not isinstance(value, str):
        raise _invalid_value(value, name, path)
    if len(value) > limit:
        raise user_error(
            f"The field {name} contained more than the maximum number ( {limit} ) of characters allowed.",
            path,
        )


def _reference_id(ref: Any, path: str) -> str:
    """References are set by internal id: `{"id": "..."}` (external-id references are refused)."""
    if isinstance(ref, dict) and isinstance(ref.get("id"), str | int) and not isinstance(ref.get("id"), bool):
        return str(ref["id"])
    raise user_error(f'Invalid reference: set {path} as {{"id": "<internal id>"}}.', path)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _invalid_value(value: Any, field: str, path: str) -> ApiError:
    shown = str(value)[:40]
    return user_error(
        f"Error while accessing a resource. You have entered an Invalid Field Value {shown} "
        f"for the following field: {field}",
        path,
    )
