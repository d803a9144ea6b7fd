"""The currency table (consumer/netsuite/currency.py): read at a member's start, never in its way."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from consumer.errors import Transient
from consumer.netsuite.currency import CurrencyRef, CurrencyResolver

ROWS = [
    {"id": "1", "symbol": "USD", "currencyprecision": 2},
    {"id": "4", "symbol": "JPY", "currencyprecision": 0},
]


class SuiteQL:
    """Answers the currency query with `ROWS`, or raises `failure` once."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.queries = 0
        self.failure = failure

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.queries += 1
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        return iter(ROWS)


def test_a_warmed_table_answers_the_first_order_without_a_query() -> None:
    netsuite = SuiteQL()
    currencies = CurrencyResolver(netsuite, ttl_s=3600, clock=lambda: 0.0)
    assert currencies.warm() is True
    assert netsuite.queries == 1
    assert currencies.resolve("jpy") == CurrencyRef("JPY", 0, "4")
    assert netsuite.queries == 1  # the first order's lookup came from the warm-up


def test_warming_a_table_already_read_asks_nothing() -> None:
    netsuite = SuiteQL()
    currencies = CurrencyResolver(netsuite, ttl_s=3600, clock=lambda: 0.0)
    currencies.resolve("USD")
    assert currencies.warm() is True
    assert netsuite.queries == 1


@pytest.mark.parametrize("failure", [Transient("503"), RuntimeError("a bug in the client")])
def test_a_failed_warm_up_raises_nothing_and_the_first_order_reads_the_table(failure: Exception) -> None:
    netsuite = SuiteQL(failure)
    currencies = CurrencyResolver(netsuite, ttl_s=3600, clock=lambda: 0.0)
    assert currencies.warm() is False
    assert currencies.resolve("USD") == CurrencyRef("USD", 2, "1")
    assert netsuite.queries == 2
