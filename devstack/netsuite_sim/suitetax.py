"""SuiteTax on save: amounts in the currency's precision, tax details, `subtotal`, `taxTotal`, `total`.

What NetSuite does and the simulator therefore does (sources in shared/reference/netsuite.md):
- REST works with SuiteTax only ("REST Web Services Supported Records": "REST web services do not
  support legacy tax features"). SuiteTax computes tax on every transaction line by its own rules
  (here: the default code of the ship-to country's nexus, `account.nexus_code`) — so a sales order
  whose lines carry WooCommerce's tax as an item line, without an override, is taxed twice.
- Unless the transaction sets `taxDetailsOverride: true`: then the `taxDetails` sublist as sent is
  the tax. Each detail names the line it belongs to by `taxDetailsReference` (the same value as the
  item line's `taxDetailsReference`; shipping's reference is `SHIPPING` — "taxdetails" object of
  the Commerce API, section_1548673608), a `taxCode` (a salesTaxItem), `taxBasis`, `taxRate` and
  `taxAmount` (REST API browser, salesOrder-taxDetailsElement). A line no detail names has no tax
  ("If getTaxDetails() does not return any taxdetails objects with a matching taxdetailsreference
  field, it means no taxes are applicable for that item", bridgehead_3981941368).
- Line amounts are kept in the currency's precision (`currencyprecision`): an amount sent with more
  decimals is rounded half-up, and an amount left out is rate x quantity, rounded the same way.
- `total` = Σ line amounts + `shippingCost` + Σ tax amounts; `taxTotal` = Σ tax amounts.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from devstack.netsuite_sim.account import Currency, find_currency, find_tax_code, nexus_code, round_amount
from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.errors import user_error
from devstack.netsuite_sim.store import RecordStore

SHIPPING_REFERENCE = "SHIPPING"


def _dec(value: Any) -> Decimal:
    return Decimal(repr(float(value)))


def customer_currencies(customer: dict[str, Any] | None, config: SimulatorConfig) -> set[str]:
    """Currency ids a customer may be invoiced in: its primary currency (the base currency unless
    set) and every currency of its `currencyList` sublist."""
    if customer is None:
        return set()
    primary = customer.get("currency")
    allowed = {
        str(primary["id"]) if isinstance(primary, dict) and "id" in primary else config.base_currency_id
    }
    for line in (customer.get("currencyList") or {}).get("items", []):
        ref = line.get("currency") if isinstance(line, dict) else None
        if isinstance(ref, dict) and "id" in ref:
            allowed.add(str(ref["id"]))
    return allowed


def transaction_currency(record: dict[str, Any], config: SimulatorConfig, store: RecordStore) -> Currency:
    """The sales order's currency: as set, else the customer's primary currency, else the base."""
    ref = record.get("currency")
    currency_id: str | None = str(ref["id"]) if isinstance(ref, dict) and "id" in ref else None
    if currency_id is None:
        entity = record.get("entity")
        customer = store.find("customer", str(entity["id"])) if isinstance(entity, dict) else None
        primary = (customer or {}).get("currency")
        currency_id = str(primary["id"]) if isinstance(primary, dict) and "id" in primary else None
    found = find_currency(config.currencies, currency_id or config.base_currency_id)
    if found is None:  # validation refuses unknown currencies first; an old record keeps the base
        found = find_currency(config.currencies, config.base_currency_id)
    assert found is not None
    return found


def settle(record: dict[str, Any], config: SimulatorConfig, store: RecordStore) -> None:
    """Compute what NetSuite computes on saving a sales order (see the module docstring)."""
    precision = transaction_currency(record, config, store).precision
    lines: list[dict[str, Any]] = record.get("item", {}).get("items", [])
    subtotal = Decimal(0)
    for index, line in enumerate(lines):
        if "amount" in line:
            amount = _dec(line["amount"])
        else:
            amount = _dec(line.get("rate", 0)) * _dec(line.get("quantity", 1))
        line["amount"] = round_amount(amount, precision)
        subtotal += _dec(line["amount"])
        line.setdefault("taxDetailsReference", f"TDR{index + 1}")
    shipping = _dec(round_amount(record.get("shippingCost") or 0, precision))
    if "shippingCost" in record:
        record["shippingCost"] = float(shipping)
    if record.get("taxDetailsOverride") is True:
        details = _overridden(record, lines, shipping, config, precision)
    else:
        details = _computed(record, lines, shipping, config, precision, store)
        record["taxDetails"] = {"items": details}
    tax = sum((_dec(d["taxAmount"]) for d in details), Decimal(0))
    record["subtotal"] = float(subtotal)
    record["taxTotal"] = float(tax)
    record["total"] = float(subtotal + shipping + tax)


def _computed(
    record: dict[str, Any],
    lines: list[dict[str, Any]],
    shipping: Decimal,
    config: SimulatorConfig,
    precision: int,
    store: RecordStore,
) -> list[dict[str, Any]]:
    """NetSuite's own tax: every line (and shipping) at the ship-to nexus's default code."""
    code = nexus_code(config.tax_codes, _tax_country(record, store))
    if code is None:
        return []
    taxed = [(str(line["taxDetailsReference"]), _dec(line["amount"])) for line in lines]
    if shipping:
        taxed.append((SHIPPING_REFERENCE, shipping))
    rate = Decimal(repr(code.rate))
    return [
        {
            "taxDetailsReference": reference,
            "taxType": f"VAT_{code.country}",
            "taxCode": {"id": code.id},
            "taxBasis": float(basis),
            "taxRate": code.rate,
            "taxAmount": round_amount(basis * rate / 100, precision),
        }
        for reference, basis in taxed
    ]


def _tax_country(record: dict[str, Any], store: RecordStore) -> str:
    """Where the goods go: the ship-to address, else the bill-to (a credit memo has only that), else
    the customer's default shipping address — NetSuite fills a transaction's address from it."""
    for name in ("shippingAddress", "billingAddress"):
        country = ((record.get(name) or {}).get("country") or {}).get("id")
        if country:
            return str(country)
    entity = record.get("entity")
    customer = store.find("customer", str(entity["id"])) if isinstance(entity, dict) else None
    for line in ((customer or {}).get("addressBook") or {}).get("items", []):
        if line.get("defaultShipping"):
            return str(((line.get("addressBookAddress") or {}).get("country") or {}).get("id", ""))
    return ""


def _overridden(
    record: dict[str, Any],
    lines: list[dict[str, Any]],
    shipping: Decimal,
    config: SimulatorConfig,
    precision: int,
) -> list[dict[str, Any]]:
    """The details as sent, checked: each names a line (or SHIPPING) and an active tax code."""
    references = [str(line["taxDetailsReference"]) for line in lines]
    if len(set(references)) != len(references):
        raise user_error("Each line must have a unique Tax Details Reference.", "item")
    known = set(references) | ({SHIPPING_REFERENCE} if shipping or record.get("shipMethod") else set())
    sublist = record.get("taxDetails") or {"items": []}
    details: list[dict[str, Any]] = sublist.get("items", [])
    for i, detail in enumerate(details):
        path = f"taxDetails.items[{i}]"
        reference = detail.get("taxDetailsReference")
        if isinstance(reference, dict):
            reference = reference.get("id")
        if str(reference) not in known:
            raise user_error(
                f"Invalid Tax Details Reference {str(reference)[:40]}.", f"{path}.taxDetailsReference"
            )
        code_ref = detail.get("taxCode")
        code = (
            find_tax_code(config.tax_codes, str(code_ref.get("id"))) if isinstance(code_ref, dict) else None
        )
        if code is None or code.inactive:
            shown = code_ref.get("id") if isinstance(code_ref, dict) else code_ref
            raise user_error(
                "Error while accessing a resource. You have entered an Invalid Field Value "
                f"{str(shown)[:40]} for the following field: taxCode",
                f"{path}.taxCode",
            )
        if "taxAmount" not in detail:
            raise user_error("Please enter value(s) for: Tax Amount", f"{path}.taxAmount")
        detail["taxAmount"] = round_amount(detail["taxAmount"], precision)
        detail.setdefault("taxType", f"VAT_{code.country}" if code.country else "EXEMPT")
    return details
