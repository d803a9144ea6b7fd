"""CurrencyResolver: one query for the whole table, its TTL on a fake clock, and who waits for a refresh.

Every order needs its currency, so the table's refresh is on every worker's path: a stale table must
be refreshed by one caller while the others answer from the table they have (the hourly refresh
would otherwise stall every worker for a call — for a read timeout when NetSuite is slow).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from consumer.errors import Rejected, Transient
from consumer.netsuite.currency import QUERY, CurrencyRef, CurrencyResolver

WAIT = 5.0  # a bound on waits that end at once when the code is right


class FakeClock:
    """`checked` is set once the thread named "waiter" reads the clock (under the resolver's lock)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.checked = threading.Event()

    def __call__(self) -> float:
        if threading.current_thread().name == "waiter":
            self.checked.set()
        return self.now


class FakeSuiteQL:
    """Answers the currency query from `rows`; `hold` makes the next queries block until released."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.queries = 0
        self.fail_with: Exception | None = None
        self.hold: threading.Event | None = None
        self.entered = threading.Event()

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        assert query == QUERY
        self.queries += 1
        fail = self.fail_with  # as it was when the query was made
        self.entered.set()
        if self.hold is not None:
            assert self.hold.wait(WAIT), "the test never released the query"
        if fail is not None:
            raise fail
        yield from list(self.rows)


def row(currency_id: str, symbol: str, places: int = 2) -> dict[str, Any]:
    return {"links": [], "id": currency_id, "symbol": symbol, "currencyprecision": places}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def in_thread(call: Any, name: str | None = None) -> tuple[threading.Event, list[Any]]:
    """Run `call` on a thread; (set when it returned or raised, [its result or exception])."""
    done, out = threading.Event(), []

    def target() -> None:
        try:
            out.append(call())
        except Exception as exc:
            out.append(exc)
        finally:
            done.set()

    threading.Thread(target=target, name=name, daemon=True).start()
    return done, out


def test_one_query_answers_every_code_until_the_ttl(clock: FakeClock) -> None:
    client = FakeSuiteQL([row("1", "USD"), row("2", "eur"), row("3", "JPY", 0)])
    resolver = CurrencyResolver(client, ttl_s=60, clock=clock)
    assert resolver.resolve(" usd ") == CurrencyRef("USD", 2, "1")
    assert resolver.resolve("EUR") == CurrencyRef("EUR", 2, "2")
    assert resolver.resolve("JPY") == CurrencyRef("JPY", 0, "3")
    assert client.queries == 1
    clock.now = 60
    assert resolver.resolve("USD") == CurrencyRef("USD", 2, "1")
    assert client.queries == 2


def test_an_unknown_code_is_asked_again_only_after_missing_ttl(clock: FakeClock) -> None:
    client = FakeSuiteQL([row("1", "USD")])
    resolver = CurrencyResolver(client, ttl_s=3600, missing_ttl_s=60, clock=clock)
    assert resolver.resolve("CHF") is None
    clock.now = 59
    assert resolver.resolve("CHF") is None
    assert client.queries == 1
    client.rows.append(row("7", "CHF"))
    clock.now = 60
    assert resolver.resolve("CHF") == CurrencyRef("CHF", 2, "7")
    assert client.queries == 2


def refresh_under_way(
    clock: FakeClock, before: list[dict[str, Any]], after: list[dict[str, Any]], code: str
) -> tuple[FakeSuiteQL, CurrencyResolver, threading.Event, threading.Event, list[Any]]:
    """A table read from `before`, gone stale, and a caller of `code` refreshing it from `after`,
    held inside its query: (client, resolver, the hold to release, set when that caller returned,
    what it got)."""
    client = FakeSuiteQL(before)
    resolver = CurrencyResolver(client, ttl_s=60, clock=clock)
    resolver.resolve(code)
    clock.now = 61
    client.rows = after
    hold = client.hold = threading.Event()
    client.entered = threading.Event()
    refreshing, refreshed = in_thread(lambda: resolver.resolve(code))
    assert client.entered.wait(WAIT)
    return client, resolver, hold, refreshing, refreshed


def test_others_answer_from_the_stale_table_while_one_caller_refreshes(clock: FakeClock) -> None:
    client, resolver, hold, refreshing, refreshed = refresh_under_way(
        clock, [row("1", "USD"), row("2", "EUR")], [row("1", "USD"), row("9", "EUR")], "EUR"
    )
    other, answer = in_thread(lambda: resolver.resolve("EUR"))
    assert other.wait(WAIT), "a caller waited for another caller's refresh of a table it could answer from"
    assert answer == [CurrencyRef("EUR", 2, "2")]
    hold.set()
    assert refreshing.wait(WAIT)
    assert refreshed == [CurrencyRef("EUR", 2, "9")]
    assert resolver.resolve("EUR") == CurrencyRef("EUR", 2, "9")
    assert client.queries == 2


def test_a_code_the_table_lacks_waits_for_the_refresh_under_way(clock: FakeClock) -> None:
    client, resolver, hold, refreshing, _ = refresh_under_way(
        clock, [row("1", "USD")], [row("1", "USD"), row("4", "GBP")], "USD"
    )
    waiting, answer = in_thread(lambda: resolver.resolve("GBP"), name="waiter")
    assert clock.checked.wait(WAIT)  # it saw the refresh under way, with nothing to answer from
    hold.set()
    assert refreshing.wait(WAIT)
    assert waiting.wait(WAIT)
    assert answer == [CurrencyRef("GBP", 2, "4")]
    assert client.queries == 2  # the waiter asked nothing itself


def test_concurrent_first_callers_share_one_query(clock: FakeClock) -> None:
    first_answer, second_answer, queries = first_load_with_a_waiter(clock, None)
    assert first_answer == second_answer == [CurrencyRef("USD", 2, "1")]
    assert queries == 1


def test_a_failed_refresh_reaches_its_caller_and_keeps_the_old_table(clock: FakeClock) -> None:
    client = FakeSuiteQL([row("1", "USD")])
    resolver = CurrencyResolver(client, ttl_s=60, clock=clock)
    resolver.resolve("USD")
    clock.now = 61
    client.fail_with = Transient("suiteql: timed out")
    with pytest.raises(Transient):
        resolver.resolve("USD")
    client.fail_with = None
    assert resolver.resolve("USD") == CurrencyRef("USD", 2, "1")  # the next caller refreshes again
    assert client.queries == 3


def test_a_failed_first_load_reaches_every_caller(clock: FakeClock) -> None:
    client = FakeSuiteQL([row("1", "USD")])
    client.fail_with = Transient("suiteql: 503")
    resolver = CurrencyResolver(client, ttl_s=60, clock=clock)
    for _ in range(2):
        with pytest.raises(Transient):
            resolver.resolve("USD")
    assert client.queries == 2  # nothing was cached, not even "unknown"


class Revoked(Exception):
    """The refresher's record lost its lease (as `GaveUp`): nothing about NetSuite was learnt."""


def first_load_with_a_waiter(clock: FakeClock, error: Exception | None) -> tuple[list[Any], list[Any], int]:
    """A first load that fails with `error` (None: answers) while a second caller waits for it; the
    waiter's own query (if it makes one) answers. (what the loader got, what the waiter got, queries)"""
    client = FakeSuiteQL([row("1", "USD")])
    client.hold, client.fail_with = threading.Event(), error
    resolver = CurrencyResolver(client, ttl_s=60, clock=clock)
    first, first_out = in_thread(lambda: resolver.resolve("USD"))
    assert client.entered.wait(WAIT)
    second, second_out = in_thread(lambda: resolver.resolve("USD"), name="waiter")
    assert clock.checked.wait(WAIT)
    client.fail_with = None  # for the waiter's own query
    client.hold.set()
    assert first.wait(WAIT)
    assert second.wait(WAIT)
    return first_out, second_out, client.queries


def test_waiters_get_the_error_of_the_refresh_they_waited_for(clock: FakeClock) -> None:
    """One after another, the k-th waiter of a failing refresh would sit through k timeouts."""
    (error,), (again,), queries = first_load_with_a_waiter(clock, Transient("suiteql: timed out", status=504))
    assert isinstance(error, Transient)
    assert isinstance(again, Transient)
    assert again is not error
    assert (again.message, again.status) == ("suiteql: timed out", 504)
    assert queries == 1


@pytest.mark.parametrize(
    "error", [Revoked(), Rejected("suiteql: refused", status=400)], ids=["revoked", "400"]
)
def test_a_waiter_refreshes_itself_when_the_refresh_told_it_nothing(
    clock: FakeClock, error: Exception
) -> None:
    """A 400 to the refresher's query is that query's; a lost lease learnt nothing (latch.py's table)."""
    (failed,), answer, queries = first_load_with_a_waiter(clock, error)
    assert failed is error
    assert answer == [CurrencyRef("USD", 2, "1")]
    assert queries == 2
