"""Checks shared by every record type: text limits, references, numbers, items, addresses, currencies.

Each failure is NetSuite's 400 USER_ERROR with `o:errorPath` at the offending value.
"""

from __future__ import annotations

from typing import Any

from devstack.netsuite_sim.account import find_currency
from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.errors import ApiError, user_error
from devstack.netsuite_sim.fields import ADDRESS_LIMITS
from devstack.netsuite_sim.formats import valid_phone
from devstack.netsuite_sim.store import RecordStore


def check_text(obj: dict[str, Any], name: str, limit: int, path: str) -> None:
    if name not in obj or obj[name] is None:
        return
    value = obj[name]
    if not isinstance(value, str):
        raise invalid_value(value, name, path)
    if len(value) > limit:
        raise user_error(
            f"The field {name} contained more than the maximum number ( {limit} ) of characters allowed.",
            path,
        )


def reference_id(ref: Any, path: str) -> str:
    """References are set by internal id: `{"id": "..."}` (external-id references are refused)."""
    if isinstance(ref, dict) and isinstance(ref.get("id"), str | int) and not isinstance(ref.get("id"), bool):
        return str(ref["id"])
    raise user_error(f'Invalid reference: set {path} as {{"id": "<internal id>"}}.', path)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def invalid_value(value: Any, field: str, path: str) -> ApiError:
    shown = str(value)[:40]
    return user_error(
        f"Error while accessing a resource. You have entered an Invalid Field Value {shown} "
        f"for the following field: {field}",
        path,
    )


def check_item(item_id: str, path: str, store: RecordStore) -> None:
    item = store.find_item(item_id)
    if item is None or item.get("isInactive") is True:
        raise invalid_value(item_id, path.rsplit(".", 1)[-1], path)
    if item.get("matrixType") == "PARENT":  # only its children (the variants) can be sold
        raise user_error(
            f"You cannot use the matrix parent item {item_id} on a transaction; choose one of its "
            "matrix child items.",
            path,
        )


def check_address(address: Any, path: str) -> None:
    if not isinstance(address, dict):
        raise user_error("Invalid content for an address subrecord.", path)
    for name, limit in ADDRESS_LIMITS.items():
        check_text(address, name, limit, f"{path}.{name}")
    phone = address.get("addrPhone")
    if isinstance(phone, str) and not valid_phone(phone):
        raise user_error("Phone number should have seven digits or more.", f"{path}.addrPhone")


def check_currency(ref: Any, path: str, config: SimulatorConfig) -> None:
    currency_id = reference_id(ref, path)
    found = find_currency(config.currencies, currency_id)
    if found is None or found.inactive:
        raise invalid_value(currency_id, path.rsplit(".", 1)[-1], path)
