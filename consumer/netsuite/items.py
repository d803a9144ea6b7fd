"""SKU → NetSuite item internal id, through batched SuiteQL and a TTL cache.

Why: a sales-order line references its item by internal id, and WooCommerce only knows the SKU
(NetSuite's `itemid`, "Name/Number", by default; `NETSUITE_ITEM_LOOKUP_FIELD` picks `upccode`,
`externalid` or a `custitem_` field instead). Asking NetSuite per line would spend the account's
scarce concurrency on lookups, so one SuiteQL query resolves every uncached SKU of a call
(`SELECT id, <field> AS sku FROM item WHERE <field> IN (…) AND isinactive = 'F' AND <not a matrix
parent> ORDER BY id`, at most `batch_size` per query), answers are cached for `ttl_s`, and unknown
SKUs for `negative_ttl_s` only (briefly: the item may be created any minute) so a poison order
cannot hammer NetSuite. Unknown SKUs are simply absent from the result: the mapping raises
`Unmappable`.

Which items may answer: not inactive ones (NetSuite refuses them on a transaction) and not matrix
parents (only their children, the variants, can be sold — `matrixtype = 'PARENT'`, SuiteQL's item
table; *unconfirmed* column name beyond the Records Catalog). Several items with the same value
(possible for UPC codes and custom fields) resolve to the lowest internal id — deterministically,
never to whichever row came first — with a warning. A stale cached id (deleted or inactivated since)
is dropped by `invalidate` when NetSuite refuses it (`consumer.pipeline.sync`).

SKUs are quoted SQL-style (single quotes doubled). A SKU that cannot be quoted safely — empty,
blank, longer than `MAX_SKU_LENGTH`, or holding control characters — is never sent and counts as unknown.

Thread-safe: several workers resolve at once, and a SKU already being fetched by another thread is
waited for (a per-SKU latch) instead of queried twice — unless the cache still holds its expired id:
an hourly refresh must not stall every order holding a popular SKU for a call (or a read timeout
when NetSuite is slow), so they use that id while one caller refreshes it. A failed query caches
nothing; what its waiters do then is `consumer.netsuite.latch`'s table (NetSuite unavailable: its
error at once; a refusal of that query, or no answer: they query themselves).
"""

from __future__ import annotations

import logging
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from consumer.netsuite.latch import Latch

log = logging.getLogger(__name__)

MAX_SKU_LENGTH = 255


class SuiteQLClient(Protocol):
    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]: ...


@dataclass
class _Fetch(Latch):
    """One in-flight lookup of `skus`; threads wanting one of them wait on it."""

    skus: list[str] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)


class ItemResolver:
    """Resolves SKUs to item internal ids; cached, batched, thread-safe."""

    def __init__(
        self,
        client: SuiteQLClient,
        *,
        ttl_s: float,
        negative_ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        batch_size: int = 100,
        lookup_field: str = "itemid",
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not re.fullmatch(r"itemid|upccode|externalid|custitem_[a-z0-9_]+", lookup_field):
            raise ValueError(f"not an item lookup field: {lookup_field!r}")
        self._field = lookup_field
        self._client = client
        self._ttl = ttl_s
        self._negative_ttl = negative_ttl_s
        self._clock = clock
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str | None, float]] = {}  # sku -> (id or None, expires at)
        self._fetching: dict[str, _Fetch] = {}

    def resolve(self, skus: Iterable[str], *, recheck_missing: bool = False) -> dict[str, str]:
        """{sku: item internal id} for every known SKU among `skus`; unknown ones are absent.
        `recheck_missing` asks NetSuite again for SKUs cached as unknown (a redriven order: the item
        may have been created since it was dead-lettered)."""
        result: dict[str, str] = {}
        pending = [sku for sku in dict.fromkeys(skus) if _quotable(sku)]
        if recheck_missing:
            with self._lock:
                for sku in pending:
                    if sku in self._cache and self._cache[sku][0] is None:
                        del self._cache[sku]
        while pending:
            mine, theirs = self._claim(pending, result)
            if mine is not None:
                self._fetch(mine)
                result.update(mine.found)
            retry: list[str] = []
            for sku, fetch in theirs.items():
                if not fetch.wait():
                    retry.append(sku)  # their query got no answer we can use: ask ourselves
                elif sku in fetch.found:
                    result[sku] = fetch.found[sku]
            pending = retry
        return result

    def invalidate(self, sku: str | None = None) -> None:
        """Forget one SKU (or everything), e.g. after NetSuite rejected a stale item id."""
        with self._lock:
            if sku is None:
                self._cache.clear()
            else:
                self._cache.pop(sku, None)

    def _claim(self, skus: list[str], result: dict[str, str]) -> tuple[_Fetch | None, dict[str, _Fetch]]:
        """Answer from the cache; claim the rest for us unless another thread is fetching them."""
        mine: list[str] = []
        theirs: dict[str, _Fetch] = {}
        with self._lock:
            now = self._clock()
            for sku in skus:
                cached = self._cache.get(sku)
                if cached is not None and cached[1] > now:
                    if cached[0] is not None:
                        result[sku] = cached[0]
                elif sku in self._fetching:
                    if cached is not None and cached[0] is not None:
                        result[sku] = cached[0]  # expired: its refresh is under way, the id holds meanwhile
                    else:
                        theirs[sku] = self._fetching[sku]
                else:
                    mine.append(sku)
            if not mine:
                return None, theirs
            fetch = _Fetch(skus=mine)
            for sku in mine:
                self._fetching[sku] = fetch
        return fetch, theirs

    def _fetch(self, fetch: _Fetch) -> None:
        wanted = fetch.skus
        found: dict[str, str] = {}
        error: BaseException | None = None
        try:
            for start in range(0, len(wanted), self._batch_size):
                found.update(self._query(wanted[start : start + self._batch_size]))
        except BaseException as exc:
            error = exc
            raise
        finally:
            fetch.found = found
            try:
                with self._lock:
                    for sku in wanted:
                        del self._fetching[sku]
                    if error is None:
                        self._remember(wanted, found)
            finally:
                fetch.end(error)  # whatever happened above: a waiter must never wait forever
        unknown = len(wanted) - len(found)
        log.debug("item lookup: %d SKUs queried, %d unknown", len(wanted), unknown)

    def _remember(self, wanted: list[str], found: dict[str, str]) -> None:
        now = self._clock()
        for sku in wanted:
            item_id = found.get(sku)
            self._cache[sku] = (item_id, now + (self._ttl if item_id is not None else self._negative_ttl))

    def _query(self, skus: list[str]) -> dict[str, str]:
        quoted = ", ".join(_quote(sku) for sku in skus)
        field = self._field
        rows = self._client.suiteql(
            f"SELECT id, {field} AS sku FROM item WHERE {field} IN ({quoted}) AND isinactive = 'F' "  # noqa: S608
            "AND (matrixtype IS NULL OR matrixtype <> 'PARENT') ORDER BY id"
        )
        by_value: dict[str, str] = {}
        for row in rows:
            value, item_id = row.get("sku"), row.get("id")
            if value is None or item_id is None:
                continue
            if str(value) in by_value:
                log.warning("item lookup: several active items share one %s; the lowest id is used", field)
                continue
            by_value[str(value)] = str(item_id)
        found = {sku: by_value[sku] for sku in skus if sku in by_value}
        # NetSuite may compare case-insensitively: accept a row whose value differs only in case,
        # when exactly one row does.
        folded: dict[str, list[str]] = {}
        for value, item_id in by_value.items():
            folded.setdefault(value.casefold(), []).append(item_id)
        for sku in skus:
            candidates = folded.get(sku.casefold(), [])
            if sku not in found and len(candidates) == 1:
                found[sku] = candidates[0]
        return found


def _quotable(sku: str) -> bool:
    return (
        isinstance(sku, str)
        and 0 < len(sku) <= MAX_SKU_LENGTH
        and not sku.isspace()
        and not any(unicodedata.category(ch).startswith("C") for ch in sku)
    )


def _quote(sku: str) -> str:
    """A SuiteQL string literal: single quotes doubled (no backslash escapes in SuiteQL)."""
    return "'" + sku.replace("'", "''") + "'"
