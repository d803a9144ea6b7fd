"""What every order looks up first — the currency table — is loaded while a member joins its group,
so the first orders after a start reach their first write one NetSuite call sooner (issue 16: at the
start of `bench.consumer` the first customer write waited for the item look-up *and then* the
currency look-up, 0.3 s with most slots idle)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import Any, cast

import pytest

from consumer.errors import Transient
from consumer.member import Member
from consumer.netsuite.currency import CurrencyResolver

ROWS = [
    {"id": "1", "symbol": "USD", "currencyprecision": 2},
    {"id": "4", "symbol": "JPY", "currencyprecision": 0},
]


class Table:
    def __init__(self) -> None:
        self.queries = 0

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.queries += 1
        return iter(ROWS)


def test_warm_loads_the_table_once_and_orders_then_find_it_without_a_query() -> None:
    table = Table()
    currencies = CurrencyResolver(table, ttl_s=3600)
    currencies.warm()
    currencies.warm()
    assert table.queries == 1
    ref = currencies.resolve("jpy")
    assert ref is not None
    assert (ref.id, ref.places) == ("4", 0)
    assert table.queries == 1


def test_warm_after_the_ttl_leaves_the_refresh_to_the_next_order() -> None:
    """Warming is for a start; a stale table is refreshed by the order that needs it, as before."""
    now = [0.0]
    table = Table()
    currencies = CurrencyResolver(table, ttl_s=10, clock=lambda: now[0])
    currencies.warm()
    now[0] = 11.0
    currencies.warm()
    assert table.queries == 1
    currencies.resolve("USD")
    assert table.queries == 2


class Producer:
    def close(self, timeout: float) -> None:
        pass


def member(runner: Any, warm_up: Any) -> Member:
    none = cast(Any, None)
    return Member(runner, none, none, none, none, cast(Any, Producer()), threading.Event(), 60.0, warm_up)


def test_a_member_warms_up_beside_its_poll_loop() -> None:
    """Beside, not before: the group join must not wait for NetSuite (an outage would hold it)."""
    warmed = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    class Runner:
        def run(self) -> None:
            seen.append(warmed.wait(5))
            release.set()

    def warm_up() -> None:
        warmed.set()
        release.wait(5)

    member(Runner(), warm_up).run()
    assert seen == [True]


def test_a_failed_warm_up_is_logged_by_its_type_and_the_member_runs_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ran = threading.Event()
    failed = threading.Event()

    class Runner:
        def run(self) -> None:
            assert failed.wait(5)
            ran.set()

    def warm_up() -> None:
        try:
            raise Transient("suiteql: timed out (https://1234567.suitetalk.api.netsuite.com/...)")
        finally:
            failed.set()

    with caplog.at_level(logging.WARNING, logger="consumer.member"):
        member(Runner(), warm_up).run()
        for thread in threading.enumerate():
            if thread.name == "netsuite-warm-up":
                thread.join(5)
    assert ran.is_set()
    assert [r.getMessage() for r in caplog.records] == [
        "warming up failed (Transient); the first order looks the currency table up itself"
    ]
