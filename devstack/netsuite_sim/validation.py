"""NetSuite's checks on a record body: 400 USER_ERROR with `o:errorPath` at the offending value.

Two passes: `check_body` looks at what the request sent (types, lengths, references, external id),
so paths match the request's own line indexes; `check_complete` looks at the record as it would be
saved (required fields, at least one line) after an update merged old and new.
"""

from __future__ import annotations

from typing import Any

from devstack.netsuite_sim.checks import (
    check_address,
    check_currency,
    check_text,
    invalid_value,
    reference_id,
)
from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.credit_checks import check_credit, check_deposit, complete_credit, complete_deposit
from devstack.netsuite_sim.errors import user_error
from devstack.netsuite_sim.fields import CUSTOMER_LIMITS, EXTERNAL_ID
from devstack.netsuite_sim.formats import PHONE_FIELDS, valid_email, valid_phone
from devstack.netsuite_sim.order_checks import check_customer_currency, check_sales_order
from devstack.netsuite_sim.store import CREDIT_TYPES, ITEM_TYPES, RecordStore

_LABELS = {"location": "Location", "department": "Department", "class": "Class", "customForm": "Custom Form"}


def check_body(record_type: str, body: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    if "externalId" in body:
        external_id = body["externalId"]
        if not isinstance(external_id, str) or not EXTERNAL_ID.match(external_id):
            raise user_error(
                "Invalid externalId: use only letters, digits, underscore and hyphen.", "externalId"
            )
    if record_type == "salesOrder":
        check_sales_order(body, store, config)
    elif record_type in CREDIT_TYPES:
        check_credit(body, store, config)
    elif record_type == "customerDeposit":
        check_deposit(body, store, config)
    elif record_type == "customer":
        _check_customer(body, config)
    elif record_type in ITEM_TYPES and "itemId" in body:
        check_text(body, "itemId", 60, "itemId")


def check_complete(
    record_type: str, record: dict[str, Any], store: RecordStore, config: SimulatorConfig
) -> None:
    if record_type == "salesOrder":
        if not record.get("entity"):
            raise user_error("Please enter value(s) for: Customer", "entity")
        lines = record.get("item", {}).get("items")
        if not lines:
            raise user_error("You must enter at least one line item for this transaction.", "item")
        for name in config.mandatory_fields:  # the account's form makes these mandatory
            if not record.get(name):
                raise user_error(f"Please enter value(s) for: {_LABELS.get(name, name)}", name)
        check_customer_currency(record, store, config)
        for i, line in enumerate(lines):  # e.g. a `line` number that named no existing line
            if "item" not in line:
                raise user_error("Please enter value(s) for: Item", f"item.items[{i}].item")
    elif record_type in CREDIT_TYPES:
        complete_credit(record, store, config)
    elif record_type == "customerDeposit":
        complete_deposit(record, store, config)
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


def _check_customer(body: dict[str, Any], config: SimulatorConfig) -> None:
    for name, limit in CUSTOMER_LIMITS.items():
        check_text(body, name, limit, name)
    if "isPerson" in body and not isinstance(body["isPerson"], bool):
        raise invalid_value(body["isPerson"], "isPerson", "isPerson")
    if "email" in body and not (isinstance(body["email"], str) and valid_email(body["email"])):
        raise user_error("Please enter a valid email address.", "email")
    for name in PHONE_FIELDS:
        if name in body and not (isinstance(body[name], str) and valid_phone(body[name])):
            raise user_error("Phone number should have seven digits or more.", name)
    if "subsidiary" in body:
        reference_id(body["subsidiary"], "subsidiary")
    if "currency" in body:
        check_currency(body["currency"], "currency", config)
    currencies = body.get("currencyList")
    if currencies is not None:
        if not isinstance(currencies, dict) or not isinstance(currencies.get("items"), list):
            raise user_error("Invalid content for sublist currencyList.", "currencyList")
        for i, line in enumerate(currencies["items"]):
            path = f"currencyList.items[{i}].currency"
            check_currency(line.get("currency") if isinstance(line, dict) else None, path, config)
    book = body.get("addressBook")
    if book is not None:
        if not isinstance(book, dict) or not isinstance(book.get("items"), list):
            raise user_error("Invalid content for sublist addressBook.", "addressBook")
        for i, line in enumerate(book["items"]):
            path = f"addressBook.items[{i}]"
            if not isinstance(line, dict):
                raise user_error("Invalid content for a sublist line.", path)
            if "addressBookAddress" in line:
                check_address(line["addressBookAddress"], f"{path}.addressBookAddress")
