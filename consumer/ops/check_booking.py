"""`check`'s booking lines: what the mapping needs from the NetSuite account beyond items.

| check       | how                                                         | fails when                    |
|-------------|-------------------------------------------------------------|-------------------------------|
| tax codes   | suitetax: every NETSUITE_TAX_CODE_MAP id in salestaxitem    | empty; unknown or inactive id |
| currencies  | SuiteQL on the active currencies (what every order resolves)| the role may not read them    |
| body fields | the salesOrder catalog for every configured custbody_ field | one is not defined            |

`line` mode's tax item is an item (the items line); `netsuite` mode needs no codes but its variance
field (a body field). An undefined custom body field is an unknown property to NetSuite: with strict
property validation every order would be rejected (Oracle, "Property Name Validation").
"""

from __future__ import annotations

from collections.abc import Iterator

from consumer.errors import AuthFailure
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.currency import QUERY as CURRENCY_QUERY
from consumer.ops.result import Catalog, Result
from consumer.settings import ConsumerSettings

MAP = "NETSUITE_TAX_CODE_MAP"


def tax_codes(settings: ConsumerSettings, client: NetSuiteClient) -> Iterator[Result]:
    if settings.netsuite_tax_mode != "suitetax":
        return
    codes = dict(settings.netsuite_tax_code_map or {})
    if not codes:
        example = '{"1": "<tax code id>", "default": "<tax code id>"}'
        yield Result(
            MAP,
            False,
            "unset: suitetax mode books every taxed line with a mapped tax code",
            f"set it to {example}; the ids: Setup → Accounting → Tax Codes",
        )
        return
    ids = sorted(set(codes.values()), key=int)  # the settings accept internal ids (ASCII digits) only
    rows = {}
    if ids:
        query = f"SELECT id, itemid, isinactive FROM salestaxitem WHERE id IN ({', '.join(ids)})"  # noqa: S608 - digits
        try:
            rows = {str(r.get("id")): r for r in client.suiteql(query)}
        except AuthFailure:
            yield Result(
                MAP,
                False,
                "the role may not read tax codes (salestaxitem)",
                "give the integration role the Tax Codes permission",
            )
            return
    problems = []
    for key, value in sorted(codes.items()):
        row = rows.get(value)
        if row is None:
            problems.append(f"{key} → {value}: no such tax code")
        elif row is not None and str(row.get("isinactive", "F")).upper() in ("T", "TRUE"):
            problems.append(f"{key} → {value} ({row.get('itemid')}) is inactive")
    if problems:
        yield Result(MAP, False, "; ".join(problems), "map each rate to an active tax code's internal id")
        return
    named = ", ".join(f"{v} ({rows[v].get('itemid')})" for v in ids)
    yield Result(
        MAP, True, f"{len(codes)} {'entry' if len(codes) == 1 else 'entries'}, every code active: {named}"
    )


def currencies(client: NetSuiteClient) -> Iterator[Result]:
    try:
        symbols = [str(r.get("symbol", "")).upper() for r in client.suiteql(CURRENCY_QUERY)]
    except AuthFailure:
        yield Result(
            "currencies",
            False,
            "the role may not read currencies (SuiteQL)",
            "give the integration role the Currency permission",
        )
        return
    if not symbols:
        yield Result("currencies", False, "no active currency", "check the account's currencies")
        return
    yield Result("currencies", True, f"{len(symbols)} active: {', '.join(sorted(symbols))}")


def body_fields(settings: ConsumerSettings, catalog: Catalog) -> Iterator[Result]:
    wanted = {
        "NETSUITE_PAYMENT_METHOD_FIELD": settings.netsuite_payment_method_field,
        "NETSUITE_TRANSACTION_ID_FIELD": settings.netsuite_transaction_id_field,
        "NETSUITE_COUPON_CODES_FIELD": settings.netsuite_coupon_codes_field,
        "NETSUITE_CUSTOMER_NOTE_FIELD": settings.netsuite_customer_note_field,
    }
    if settings.netsuite_tax_mode == "netsuite":
        wanted["NETSUITE_TAX_VARIANCE_FIELD"] = settings.netsuite_tax_variance_field
    custom = {name: field for name, field in wanted.items() if field.startswith("custbody")}
    if not custom:
        return
    defined = catalog("salesOrder").get("properties", {})
    for name, field in custom.items():
        if field in defined:
            yield Result(f"custom field {field}", True, f"defined on salesOrder ({name})")
        else:
            how = "Transaction Body Field on sales orders"
            yield Result(
                f"custom field {field}",
                False,
                f"not defined on salesOrder ({name})",
                f"create it ({how}) or change {name}",
            )
