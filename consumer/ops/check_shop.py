"""`check`'s shop lines, when `WOOCOMMERCE_API_URL` is set (reconcile and audit need it anyway).

| check              | how                                                 | fails when                   |
|--------------------|-----------------------------------------------------|------------------------------|
| woocommerce key    | `GET /orders?per_page=N` (the last N, newest first) | 401/403, or no answer        |
| webhook <topic>    | `GET /webhooks`, judged as reconcile judges it      | missing, inactive, elsewhere |
| SKUs of the last N | the consumer's item look-up (NETSUITE_ITEM_LOOKUP_FIELD) | a SKU has no active item |
| their currencies   | the consumer's currency table                       | not an active currency       |

The last N orders stand for the catalogue: a SKU that is missing in NetSuite dead-letters every order
that sells it, so finding it before go-live saves the redrive. Without `WOOCOMMERCE_API_URL` the
lines say "not checked" (○) and do not fail the check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from consumer.errors import Unmappable
from consumer.netsuite import records
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.currency import CurrencyResolver
from consumer.netsuite.items import ItemResolver
from consumer.ops.result import Result
from consumer.reconcile.settings import ReconcileSettings
from consumer.reconcile.webhooks import check as webhook_health
from consumer.settings import ConsumerSettings
from consumer.woocommerce.client import RetryPolicy, WooAuthError, WooClient, WooError
from schemas.order import WooOrder

SHOWN = 10  # names listed on one line; the count says how many more
QUICK = RetryPolicy(attempts=2, first_backoff_s=1.0, max_backoff_s=5.0)  # a person waits for this


def shop(settings: ConsumerSettings, client: NetSuiteClient, recent: int) -> Iterator[Result]:
    try:
        woo_settings = ReconcileSettings()
    except ValidationError as exc:
        errors = exc.errors()
        if any(e["loc"] == ("woocommerce_api_url",) and e["type"] == "missing" for e in errors):
            yield Result.skip("woocommerce", "WOOCOMMERCE_API_URL unset: key, webhooks and SKUs not checked")
            return
        named = "; ".join(f"{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in errors)
        yield Result("woocommerce", False, named, "README, Environment")
        return
    woo = WooClient(woo_settings, policy=QUICK)
    try:
        yield from _shop(woo, woo_settings, settings, client, recent)
    finally:
        woo.close()


def _shop(
    woo: WooClient,
    woo_settings: ReconcileSettings,
    settings: ConsumerSettings,
    client: NetSuiteClient,
    recent: int,
) -> Iterator[Result]:
    try:
        page = woo.page("/orders", {"per_page": str(max(recent, 1))})
    except WooAuthError as exc:
        fix = "WOOCOMMERCE_CONSUMER_KEY/SECRET: a key with Read permission, of a shop manager"
        yield Result("woocommerce key", False, f"the shop refuses it ({exc})", fix)
        return
    except WooError as exc:
        yield Result("woocommerce", False, f"the shop did not answer ({exc})", "WOOCOMMERCE_API_URL")
        return
    yield Result("woocommerce key", True, f"the shop accepts it ({page.total} orders)")
    try:
        hooks = woo.all_pages("/webhooks", {})
    except WooError as exc:  # our own text: status and path, no secret
        fix = "the key's user must be allowed to read webhooks (a shop manager or administrator)"
        yield Result("webhooks", False, f"the list could not be read ({exc})", fix)
        hooks = None
    if hooks is None:
        return
    public = woo_settings.receiver_public_url
    for health in webhook_health(hooks, public):
        name = f"webhook {health.topic}"
        if health.active:
            yield Result(name, True, "active" + (f", delivering to {public}" if public else ""))
        else:
            path = "/webhook/woocommerce/" + health.topic.replace(".", "-")
            where = f"{public or '<the receiver>'}{path}"
            fix = f"WooCommerce → Settings → Advanced → Webhooks: {health.topic}, active, to {where}"
            yield Result(name, False, "; ".join(health.problems), fix)
    if recent:
        yield from _recent_orders(page.items[:recent], settings, client)


def _recent_orders(
    orders: list[dict[str, Any]], settings: ConsumerSettings, client: NetSuiteClient
) -> Iterator[Result]:
    n = len(orders)
    parsed, unreadable = _as_orders(orders)
    if unreadable:
        yield Result(
            f"the last {n} orders",
            False,
            f"{unreadable} cannot be read as orders",
            "they would be refused by the receiver (400): see its log for the field",
        )
    skus: list[str] = []
    try:  # the SKUs exactly as the consumer asks NetSuite for them (stripped, zero-quantity lines out)
        skus = sorted({s for o in parsed for s in records.required_skus(o)})
    except Unmappable as exc:
        yield Result(f"SKUs of the last {n} orders", False, exc.message, "give every product a SKU")
        return
    field = settings.netsuite_item_lookup_field
    found = ItemResolver(client, ttl_s=0, lookup_field=field).resolve(skus)
    missing = [s for s in skus if s not in found]
    name = f"SKUs of the last {n} orders"
    if missing:
        fix = "create the items, or set NETSUITE_ITEM_LOOKUP_FIELD to the item field that holds the SKU"
        yield Result(
            name, False, f"{len(missing)} of {len(skus)} have no active item by {field}: {_few(missing)}", fix
        )
    else:
        yield Result(name, True, f"all {len(skus)} found by {field}")
    codes = sorted({str(o.get("currency", "")).upper() for o in orders if o.get("currency")})
    table = CurrencyResolver(client, ttl_s=3600)
    unknown = [c for c in codes if table.resolve(c) is None]
    name = f"currencies of the last {n} orders"
    if unknown:
        fix = "activate the currency in NetSuite (Lists → Accounting → Currencies) or stop selling in it"
        yield Result(name, False, f"not active currencies in NetSuite: {', '.join(unknown)}", fix)
    elif codes:
        yield Result(name, True, ", ".join(codes))


def _as_orders(raw: list[dict[str, Any]]) -> tuple[list[WooOrder], int]:
    orders, unreadable = [], 0
    for body in raw:
        try:
            orders.append(WooOrder.model_validate(body))
        except ValueError:
            unreadable += 1
    return orders, unreadable


def _few(names: list[str]) -> str:
    more = len(names) - SHOWN
    return ", ".join(names[:SHOWN]) + (f" and {more} more" if more > 0 else "")
