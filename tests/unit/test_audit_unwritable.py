"""`audit --repair` leaves out orders the consumer cannot write: an unknown SKU or currency
(`consumer.audit.unwritable`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from consumer.audit.compare import MISSING, compare
from consumer.audit.expected import expected
from consumer.audit.netsuite import Held
from consumer.audit.repair import repairable
from consumer.audit.unwritable import audit_currencies, with_unwritable
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.settings import MappingPolicy
from devstack.demo_orders import OrderFactory
from schemas.order import WooOrder

POLICY = MappingPolicy(
    shipping_item_id="90", discount_item_id="91", fee_item_id="92", tax_item_id="93", tax_mode="line"
)


class Currencies:
    def __init__(self, *lacking: str) -> None:
        self.lacking = lacking

    def resolve(self, code: str) -> CurrencyRef | None:
        return None if code in self.lacking else CurrencyRef(code, 2, "1")


ANY_CURRENCY = Currencies()


def as_bodies(raw: dict[int, dict[str, Any]]) -> dict[int, bytes]:
    return {order_id: json.dumps(body).encode() for order_id, body in raw.items()}


def raw_order(order_id: int, sku: str) -> dict[str, Any]:
    raw = OrderFactory(seed=2).order(order_id)
    raw["line_items"] = raw["line_items"][:1]
    raw["line_items"][0]["sku"] = sku
    return raw


def test_an_order_dead_lettered_for_an_unknown_sku_is_reported_so_and_not_repaired() -> None:
    """Before: the audit's mapping accepts any SKU, so the order was 'missing' and re-sent by every
    `--repair`, to be dead-lettered again (audit of reconcile and audit, 2026-12-03)."""
    raw = {1: raw_order(1, "NO-SUCH-SKU"), 2: raw_order(2, "COF-1KG"), 3: raw_order(3, "MUG-BLUE")}
    wanted = [expected(WooOrder.model_validate(r), POLICY) for r in raw.values()]
    matching = Held(
        "30", wanted[2].external_id, "3", wanted[2].customer, wanted[2].total, lines=wanted[2].lines or 0
    )
    held: dict[int, list[Held]] = {1: [], 2: [], 3: [matching]}
    asked: list[list[str]] = []

    def resolve(skus: Iterable[str]) -> dict[str, str]:
        asked.append(list(skus))
        return {"COF-1KG": "501", "MUG-BLUE": "502"}

    marked = with_unwritable(wanted, held, as_bodies(raw), resolve, ANY_CURRENCY)
    findings = [f for e in marked if (f := compare(e, held[e.order_id])) is not None]
    assert [(f.order_id, f.problem) for f in findings] == [(1, MISSING), (2, MISSING)]
    assert "it cannot be written: unknown SKU(s) in NetSuite: NO-SUCH-SKU" in findings[0].details
    assert [f.order_id for f in repairable(findings, {e.order_id: e for e in marked})] == [2]
    assert asked == [["COF-1KG", "NO-SUCH-SKU"]]  # only the orders found wanting; order 3 matched


def test_nothing_wanting_asks_nothing() -> None:
    raw = {1: raw_order(1, "COF-1KG")}
    wanted = [expected(WooOrder.model_validate(raw[1]), POLICY)]
    one = Held(
        "30", wanted[0].external_id, "1", wanted[0].customer, wanted[0].total, lines=wanted[0].lines or 0
    )

    def resolve(skus: Iterable[str]) -> dict[str, str]:
        raise AssertionError("asked NetSuite for SKUs with nothing to repair")

    assert with_unwritable(wanted, {1: [one]}, as_bodies(raw), resolve, ANY_CURRENCY) == wanted


def test_a_mismatched_order_that_cannot_be_written_says_why() -> None:
    """`--repair` leaves it out: the finding names the reason (review of 93bb91c: it was silent)."""
    raw = {1: raw_order(1, "NO-SUCH-SKU")}
    wanted = [expected(WooOrder.model_validate(raw[1]), POLICY)]
    wrong = Held(
        "30", wanted[0].external_id, "1", wanted[0].customer, wanted[0].total + 1, lines=wanted[0].lines or 0
    )
    marked = with_unwritable(wanted, {1: [wrong]}, as_bodies(raw), lambda skus: {}, ANY_CURRENCY)
    finding = compare(marked[0], [wrong])
    assert finding is not None
    assert finding.details[-1] == "it cannot be written: unknown SKU(s) in NetSuite: NO-SUCH-SKU"
    assert repairable([finding], {1: marked[0]}) == []


def test_an_order_in_a_currency_netsuite_lacks_is_not_repaired_either() -> None:
    """The consumer dead-letters it (`lookups.currency_of`); `--repair` re-sent it on every run
    (review of 93bb91c)."""
    raw = {1: {**raw_order(1, "COF-1KG"), "currency": "XAU"}}
    wanted = [expected(WooOrder.model_validate(raw[1]), POLICY)]
    marked = with_unwritable(
        wanted, {1: []}, as_bodies(raw), lambda skus: {"COF-1KG": "501"}, Currencies("XAU")
    )
    finding = compare(marked[0], [])
    assert finding is not None
    assert any("'XAU' is not an active NetSuite currency" in d for d in finding.details)
    assert repairable([finding], {1: marked[0]}) == []


class Account:
    """NetSuite's currency table as SuiteQL answers it (one active currency, EUR); queries counted."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.queries.append(query)
        yield {"id": "2", "symbol": "EUR", "currencyprecision": 2}


def test_the_currency_table_is_read_once_for_the_run() -> None:
    """With no time to live the table was read again for every order found wanting (review of f5c2992:
    300 queries for 300 missing orders)."""
    raw = {n: raw_order(n, "COF-1KG") | {"currency": "XAU" if n % 2 else "EUR"} for n in range(1, 301)}
    wanted = [expected(WooOrder.model_validate(body), POLICY) for body in raw.values()]
    account = Account()
    currencies = audit_currencies(account)
    marked = with_unwritable(
        wanted, {n: [] for n in raw}, as_bodies(raw), lambda skus: {"COF-1KG": "1"}, currencies
    )
    assert len(account.queries) == 1
    assert sum(e.unmappable is not None for e in marked) == 150  # the XAU ones
