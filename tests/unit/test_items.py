"""ItemResolver: batching, TTL and negative cache on a fake clock, quoting, one query per SKU."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from consumer.errors import Rejected, Transient
from consumer.netsuite.items import ItemResolver

WAIT = 5.0

_IN_LIST = re.compile(
    r"^SELECT id, itemid AS sku FROM item WHERE itemid IN \((.*)\) AND isinactive = 'F' "
    r"AND \(matrixtype IS NULL OR matrixtype <> 'PARENT'\) ORDER BY id$",
    re.S,
)
_LITERAL = re.compile(r"'((?:[^']|'')*)'")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeSuiteQL:
    """Parses the IN list back (un-doubling quotes) and answers from a catalog like NetSuite would."""

    def __init__(self, catalog: dict[str, str]) -> None:
        self.catalog = catalog
        self.queries: list[str] = []
        self.asked: list[list[str]] = []
        self.fail_with: Exception | None = None

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        self.queries.append(query)
        match = _IN_LIST.match(query)
        assert match, query
        inner = match.group(1)
        literals = [m.group(1).replace("''", "'") for m in _LITERAL.finditer(inner)]
        # Nothing but literals and separators: a SKU broke out of its quotes otherwise.
        assert _LITERAL.sub("", inner).replace(",", "").strip() == "", query
        self.asked.append(literals)
        if self.fail_with is not None:
            raise self.fail_with
        for sku in literals:
            if sku in self.catalog:
                yield {"links": [], "id": self.catalog[sku], "sku": sku}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_resolves_known_and_omits_unknown(clock: FakeClock) -> None:
    client = FakeSuiteQL({"COF-1KG": "101", "TEA-500": "102"})
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    assert resolver.resolve(["COF-1KG", "NOPE", "TEA-500", "COF-1KG"]) == {"COF-1KG": "101", "TEA-500": "102"}
    assert client.asked == [["COF-1KG", "NOPE", "TEA-500"]]  # one query, deduplicated


def test_batches_by_batch_size(clock: FakeClock) -> None:
    catalog = {f"SKU-{i}": str(i) for i in range(250)}
    client = FakeSuiteQL(catalog)
    resolver = ItemResolver(client, ttl_s=60, clock=clock, batch_size=100)
    assert resolver.resolve(catalog) == catalog
    assert [len(a) for a in client.asked] == [100, 100, 50]


def test_cache_hits_until_ttl_expires(clock: FakeClock) -> None:
    client = FakeSuiteQL({"A": "1", "B": "2"})
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    resolver.resolve(["A"])
    clock.now = 59.9
    assert resolver.resolve(["A", "B"]) == {"A": "1", "B": "2"}
    assert client.asked == [["A"], ["B"]]  # only the uncached one asked
    client.catalog["A"] = "11"
    clock.now = 60.0
    assert resolver.resolve(["A", "B"]) == {"A": "11", "B": "2"}
    assert client.asked[-1] == ["A"]


def test_unknown_skus_are_negatively_cached(clock: FakeClock) -> None:
    client = FakeSuiteQL({})
    resolver = ItemResolver(client, ttl_s=3600, negative_ttl_s=30, clock=clock)
    for _ in range(5):
        assert resolver.resolve(["POISON"]) == {}
    assert len(client.queries) == 1
    client.catalog["POISON"] = "7"
    clock.now = 30.0
    assert resolver.resolve(["POISON"]) == {"POISON": "7"}
    assert len(client.queries) == 2


def test_a_redrive_asks_again_for_skus_cached_as_unknown(clock: FakeClock) -> None:
    """The item was created after the order was dead-lettered: the redrive must see it at once."""
    client = FakeSuiteQL({"KNOWN": "1"})
    resolver = ItemResolver(client, ttl_s=3600, negative_ttl_s=3600, clock=clock)
    assert resolver.resolve(["KNOWN", "NEW"]) == {"KNOWN": "1"}
    client.catalog["NEW"] = "9"
    assert resolver.resolve(["NEW"]) == {}  # still cached as unknown
    assert resolver.resolve(["KNOWN", "NEW"], recheck_missing=True) == {"KNOWN": "1", "NEW": "9"}
    assert client.asked[-1] == ["NEW"]  # the known one came from the cache


def test_quotes_are_doubled_and_round_trip(clock: FakeClock) -> None:
    tricky = ["O'Brien", "x') OR 1=1 --", "''", "back\\slash", "a,b", "semi;colon"]
    client = FakeSuiteQL({sku: str(i) for i, sku in enumerate(tricky)})
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    assert resolver.resolve(tricky) == {sku: str(i) for i, sku in enumerate(tricky)}
    assert "'O''Brien'" in client.queries[0]
    assert "'x'') OR 1=1 --'" in client.queries[0]


@pytest.mark.parametrize("sku", ["", "   ", "A\nB", "A\x00", "tab\tsku", "A\u200bB", "X" * 256])
def test_unsafe_skus_are_never_sent(clock: FakeClock, sku: str) -> None:
    client = FakeSuiteQL({sku: "1", "OK": "2"})
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    assert resolver.resolve([sku, "OK"]) == {"OK": "2"}
    assert client.asked == [["OK"]]


def test_case_only_difference_is_accepted_when_unambiguous(clock: FakeClock) -> None:
    class CaseInsensitive(FakeSuiteQL):
        def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
            list(super().suiteql(query))
            yield {"id": "5", "sku": "COF-1KG"}

    resolver = ItemResolver(CaseInsensitive({}), ttl_s=60, clock=clock)
    assert resolver.resolve(["cof-1kg"]) == {"cof-1kg": "5"}


def test_failed_query_caches_nothing_and_raises(clock: FakeClock) -> None:
    client = FakeSuiteQL({"A": "1"})
    client.fail_with = Transient("boom", status=503)
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    with pytest.raises(Transient):
        resolver.resolve(["A"])
    client.fail_with = None
    assert resolver.resolve(["A"]) == {"A": "1"}
    assert len(client.asked) == 2


def test_invalidate_forgets(clock: FakeClock) -> None:
    client = FakeSuiteQL({"A": "1"})
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    resolver.resolve(["A"])
    resolver.invalidate("A")
    resolver.resolve(["A"])
    resolver.invalidate()
    resolver.resolve(["A"])
    assert len(client.asked) == 3


class BlockingSuiteQL(FakeSuiteQL):
    def __init__(self, catalog: dict[str, str]) -> None:
        super().__init__(catalog)
        self.started = threading.Event()
        self.release = threading.Event()

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        rows = list(super().suiteql(query))
        self.started.set()
        assert self.release.wait(WAIT)
        yield from rows


def _concurrent_pair(client: BlockingSuiteQL, second_skus: list[str]) -> list[Any]:
    """Thread 1 starts a query for A and blocks in it; thread 2 resolves `second_skus` meanwhile.

    ttl_s=0, so thread 2 can only avoid its own query for A by waiting on thread 1's latch.
    The clock tells us when thread 2 is inside its cache check (under the lock), so the query is
    released only after thread 2 has either claimed or latched on to every SKU.
    """
    second_checking = threading.Event()

    def clock() -> float:
        if threading.current_thread().name == "second":
            second_checking.set()
        return 0.0

    resolver = ItemResolver(client, ttl_s=0, negative_ttl_s=0, clock=clock)
    results: list[Any] = [None, None]

    def run(i: int, skus: list[str]) -> None:
        try:
            results[i] = resolver.resolve(skus)
        except Exception as exc:
            results[i] = exc

    first = threading.Thread(target=run, args=(0, ["A"]), name="first")
    first.start()
    assert client.started.wait(WAIT)
    second = threading.Thread(target=run, args=(1, second_skus), name="second")
    second.start()
    assert second_checking.wait(WAIT)
    client.release.set()
    first.join(WAIT)
    second.join(WAIT)
    return results


def test_concurrent_misses_for_one_sku_cause_one_query() -> None:
    client = BlockingSuiteQL({"A": "1"})
    results = _concurrent_pair(client, ["A"])
    assert results == [{"A": "1"}, {"A": "1"}]
    assert client.asked == [["A"]]


def test_concurrent_caller_queries_only_what_nobody_is_fetching() -> None:
    client = BlockingSuiteQL({"A": "1", "B": "2"})
    results = _concurrent_pair(client, ["A", "B"])
    assert results == [{"A": "1"}, {"A": "1", "B": "2"}]
    assert sorted(map(tuple, client.asked)) == [("A",), ("B",)]


class FailsFirst(BlockingSuiteQL):
    """Its first query blocks until released, then raises `error`; later ones answer."""

    def __init__(self, catalog: dict[str, str], error: Exception) -> None:
        super().__init__(catalog)
        self.error = error

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        if not self.asked:
            self.asked.append(["A"])
            self.started.set()
            assert self.release.wait(WAIT)
            raise self.error
        yield from super().suiteql(query)


class Revoked(Exception):
    """The fetcher's record lost its lease (as `GaveUp`): nothing about NetSuite was learnt."""


def test_waiters_get_the_error_of_the_query_they_waited_for() -> None:
    """One after another, the k-th waiter of a failing query would sit through k timeouts."""
    client = FailsFirst({"A": "1"}, Transient("down", status=503))
    first, second = _concurrent_pair(client, ["A"])
    assert isinstance(first, Transient)
    assert isinstance(second, Transient)
    assert second is not first  # its own object: a traceback is per raise
    assert (second.message, second.status) == ("down", 503)
    assert client.asked == [["A"]]


@pytest.mark.parametrize(
    "error",
    [Revoked(), Rejected("suiteql: invalid search query", status=400, detail="about that batch")],
    ids=["revoked", "400"],
)
def test_a_waiter_queries_itself_when_the_query_told_it_nothing(error: Exception) -> None:
    """A 400 about another record's batch is not this record's error; a lost lease learnt nothing."""
    client = FailsFirst({"A": "1"}, error)
    first, second = _concurrent_pair(client, ["A"])
    assert first is error
    assert second == {"A": "1"}
    assert client.asked == [["A"], ["A"]]


def refresh_of_a_under_way(
    client: BlockingSuiteQL, resolver: ItemResolver, item_id: str, out: list[Any]
) -> threading.Thread:
    """SKU "A" (its cache entry expired) becomes item `item_id` in NetSuite, and a caller's query for
    it is held inside NetSuite until `client.release`; what that caller gets goes to `out`."""
    client.catalog["A"] = item_id
    client.started.clear()
    client.release.clear()
    refresher = threading.Thread(target=lambda: out.append(resolver.resolve(["A"])), daemon=True)
    refresher.start()
    assert client.started.wait(WAIT)
    return refresher


def test_an_expired_id_answers_while_another_caller_refreshes_it(clock: FakeClock) -> None:
    """A SKU's hourly refresh must not stall every order holding it for a call: one caller asks
    NetSuite, the others use the id they had (a stale id NetSuite refuses is invalidated, sync.py)."""
    client = BlockingSuiteQL({"A": "1"})
    client.release.set()
    resolver = ItemResolver(client, ttl_s=60, clock=clock)
    assert resolver.resolve(["A"]) == {"A": "1"}
    clock.now = 61
    refreshed: list[Any] = []
    refresher = refresh_of_a_under_way(client, resolver, "7", refreshed)
    answered: list[Any] = []
    other = threading.Thread(target=lambda: answered.append(resolver.resolve(["A"])), daemon=True)
    other.start()
    other.join(WAIT)
    alive = other.is_alive()
    client.release.set()
    refresher.join(WAIT)
    assert not alive, "a caller waited for another caller's refresh of an id it had"
    assert answered == [{"A": "1"}]
    assert refreshed == [{"A": "7"}]
    assert resolver.resolve(["A"]) == {"A": "7"}
    assert client.asked == [["A"], ["A"]]


def test_an_expired_unknown_sku_waits_for_the_refresh_under_way() -> None:
    """Unknown is not an answer to give from a stale cache: the item may exist now."""
    now, waiter_checking = [0.0], threading.Event()

    def clock() -> float:
        if threading.current_thread().name == "waiter":
            waiter_checking.set()
        return now[0]

    client = BlockingSuiteQL({})
    client.release.set()
    resolver = ItemResolver(client, ttl_s=60, negative_ttl_s=10, clock=clock)
    assert resolver.resolve(["A"]) == {}
    now[0] = 11
    results: list[Any] = []
    refresher = refresh_of_a_under_way(client, resolver, "3", results)
    waiter = threading.Thread(
        target=lambda: results.append(resolver.resolve(["A"])), name="waiter", daemon=True
    )
    waiter.start()
    assert waiter_checking.wait(WAIT)  # it looked at the cache while the refresh was under way
    client.release.set()
    refresher.join(WAIT)
    waiter.join(WAIT)
    assert results == [{"A": "3"}, {"A": "3"}]  # not {} from the expired "unknown"
    assert client.asked == [["A"], ["A"]]  # and no query of its own
