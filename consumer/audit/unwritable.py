"""Orders the audit found missing or different that the consumer cannot write: a SKU or the currency
NetSuite does not have.

The audit's own mapping accepts any SKU and any currency (it judges counts and totals, not ids), so an
order the consumer dead-lettered for one of them came out `missing` and `--repair` re-sent it on every
run — to be dead-lettered again, in a burst that can trip the dead-letter breaker (audit of reconcile
and audit, 2026-12-03). For just those orders, the SKUs are looked up as the consumer looks them up
(`ItemResolver`, 100 a query) and the currency in NetSuite's currency table (one query); an order
with one NetSuite lacks is marked unmappable with the consumer's own reason: reported, left to a
person (create the item or currency, then redrive).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from consumer.audit.compare import MISMATCHED, MISSING, compare
from consumer.audit.expected import Expected
from consumer.audit.netsuite import Held
from consumer.errors import Unmappable
from consumer.netsuite.currency import CurrencyResolver
from consumer.netsuite.items import SuiteQLClient
from consumer.netsuite.records import required_skus
from consumer.pipeline.lookups import check_items, currency_of
from consumer.pipeline.ports import CurrencyLookup
from schemas.order import WooOrder

T = TypeVar("T")
ResolveSkus = Callable[[Iterable[str]], dict[str, str]]


def with_unwritable(
    wanted: list[Expected],
    held: dict[int, list[Held]],
    raw: dict[int, bytes],
    items: ResolveSkus,
    currencies: CurrencyLookup,
) -> list[Expected]:
    """`wanted`, the orders to repair that the consumer would dead-letter marked unmappable."""
    orders: dict[int, WooOrder] = {}
    for exp in wanted:
        finding = compare(exp, held[exp.order_id])
        if exp.unmappable or finding is None or finding.problem not in (MISSING, MISMATCHED):
            continue
        orders[exp.order_id] = WooOrder.model_validate_json(raw[exp.order_id])  # validated when read
    if not orders:
        return wanted
    skus: dict[int, list[str]] = {}
    for order_id, order in orders.items():
        try:
            skus[order_id] = required_skus(order)
        except Unmappable:
            skus[order_id] = []  # the audit's own mapping said so already
    found = items(sorted({s for each in skus.values() for s in each}))
    marked = []
    for exp in wanted:
        reason = _reason(orders.get(exp.order_id), skus.get(exp.order_id, []), found, currencies)
        marked.append(replace(exp, unmappable=reason) if reason else exp)
    return marked


def _reason(
    order: WooOrder | None, skus: list[str], found: dict[str, str], currencies: CurrencyLookup
) -> str | None:
    if order is None:
        return None
    try:  # the consumer's own checks, in its order: the reason it dead-letters with
        check_items(skus, found)
        currency_of(currencies, order, _now)
    except Unmappable as exc:
        return exc.message
    return None


def audit_currencies(client: SuiteQLClient) -> CurrencyResolver:
    """NetSuite's currency table, read once for the run (at its first use): with no time to live,
    every order found wanting read it again — thousands of queries after an outage (review of f5c2992)."""
    return CurrencyResolver(client, ttl_s=math.inf, missing_ttl_s=math.inf)


def _now(call: Callable[[], T]) -> T:
    return call()
