"""NetSuite's checks on a sales-order body: references, currency, lines, tax details.

Paths in errors follow the request's own line indexes (`item.items[2].item`).
"""

from __future__ import annotations

from typing import Any

from devstack.netsuite_sim.checks import (
    check_address,
    check_currency,
    check_item,
    check_text,
    invalid_value,
    is_number,
    reference_id,
)
from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.errors import user_error
from devstack.netsuite_sim.fields import SALES_ORDER_LIMITS, TRAN_DATE
from devstack.netsuite_sim.store import RecordStore
from devstack.netsuite_sim.suitetax import customer_currencies


def check_customer_currency(record: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    """A customer may only be invoiced in its own currencies (primary + currencyList)."""
    ref = record.get("currency")
    if not isinstance(ref, dict) or "id" not in ref:
        return
    customer = store.find("customer", str(record["entity"]["id"]))
    if customer is not None and str(ref["id"]) not in customer_currencies(customer, config):
        raise user_error(
            f"The currency {ref['id']} is not among the currencies of customer {customer['id']}. "
            "Add it to the customer's Currencies subtab.",
            "currency",
        )


def check_sales_order(body: dict[str, Any], store: RecordStore, config: SimulatorConfig) -> None:
    for name, limit in SALES_ORDER_LIMITS.items():
        check_text(body, name, limit, name)
    if "entity" in body:
        entity_id = reference_id(body["entity"], "entity")
        if store.find("customer", entity_id) is None:
            raise invalid_value(entity_id, "entity", "entity")
    if "currency" in body:
        check_currency(body["currency"], "currency", config)
    for name in ("location", "department", "class", "customForm", "subsidiary"):
        if name in body:
            reference_id(body[name], name)
    if "orderStatus" in body and reference_id(body["orderStatus"], "orderStatus") not in ("A", "B"):
        raise invalid_value(body["orderStatus"]["id"], "orderStatus", "orderStatus")
    if "shipMethod" in body:
        ship_id = reference_id(body["shipMethod"], "shipMethod")
        ship = store.find("shipItem", ship_id)
        if ship is None or ship.get("isInactive") is True:
            raise invalid_value(ship_id, "shipMethod", "shipMethod")
    if "taxDetailsOverride" in body and not isinstance(body["taxDetailsOverride"], bool):
        raise invalid_value(body["taxDetailsOverride"], "taxDetailsOverride", "taxDetailsOverride")
    if "discountItem" in body:
        check_item(reference_id(body["discountItem"], "discountItem"), "discountItem", store)
    if "tranDate" in body and not (isinstance(body["tranDate"], str) and TRAN_DATE.match(body["tranDate"])):
        raise invalid_value(body["tranDate"], "tranDate", "tranDate")
    for name in ("shippingCost", "discountRate", "exchangeRate"):
        if name in body and not is_number(body[name]):
            raise invalid_value(body[name], name, name)
    for name in ("shippingAddress", "billingAddress"):
        if name in body:
            check_address(body[name], name)
    check_lines(body, store)


def check_lines(body: dict[str, Any], store: RecordStore) -> None:
    """A transaction's `item` and `taxDetails` sublists as sent (sales orders and credits alike)."""
    if "item" in body:
        sublist = body["item"]
        if not isinstance(sublist, dict) or not isinstance(sublist.get("items"), list):
            raise user_error('Invalid content for sublist item: expected {"items": [...]}.', "item")
        for i, line in enumerate(sublist["items"]):
            check_line(line, f"item.items[{i}]", store)
    if "taxDetails" in body:
        check_tax_details(body["taxDetails"])


def check_tax_details(sublist: Any) -> None:
    if not isinstance(sublist, dict) or not isinstance(sublist.get("items"), list):
        raise user_error('Invalid content for sublist taxDetails: expected {"items": [...]}.', "taxDetails")
    for i, detail in enumerate(sublist["items"]):
        path = f"taxDetails.items[{i}]"
        if not isinstance(detail, dict):
            raise user_error("Invalid content for a sublist line.", path)
        for name in ("taxAmount", "taxBasis", "taxRate"):
            if name in detail and not is_number(detail[name]):
                raise invalid_value(detail[name], name, f"{path}.{name}")


def check_line(line: Any, path: str, store: RecordStore) -> None:
    if not isinstance(line, dict):
        raise user_error("Invalid content for a sublist line.", path)
    if "item" in line:
        check_item(reference_id(line["item"], f"{path}.item"), f"{path}.item", store)
    elif "line" not in line:  # a line named by `line` is an existing one being changed: it has its item
        raise user_error("Please enter value(s) for: Item", f"{path}.item")
    if "quantity" in line:
        quantity = line["quantity"]
        if not is_number(quantity) or quantity <= 0:
            raise invalid_value(quantity, "quantity", f"{path}.quantity")
    for name in ("rate", "amount"):
        if name in line and not is_number(line[name]):
            raise invalid_value(line[name], name, f"{path}.{name}")
    check_text(line, "description", 4000, f"{path}.description")
    check_text(line, "taxDetailsReference", 100, f"{path}.taxDetailsReference")
