"""ISO currency code → NetSuite currency (internal id, precision), through SuiteQL and a cache.

A sales order in a multi-currency account must say its currency, by internal id; left out, NetSuite
books the order in the customer's currency — a EUR order for a USD customer would silently become
dollars. WooCommerce sends the ISO 4217 code, which is the currency record's `symbol` (Oracle
"Currency", section_0818023012 / section_N3201267; `currencyprecision` is 0 or 2 — JPY has none).
The whole (small) table of active currencies is read in one query and cached for `ttl_s`; a code
it lacks is asked for again at most every `missing_ttl_s` (a currency created meanwhile is found),
and an order in a code NetSuite does not have is `Unmappable` with that reason.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from consumer.netsuite.items import SuiteQLClient
from consumer.netsuite.latch import Latch
from consumer.netsuite.money import minor_digits

QUERY = "SELECT id, symbol, currencyprecision FROM currency WHERE isinactive = 'F' ORDER BY id"


@dataclass(frozen=True)
class CurrencyRef:
    """The order's currency as NetSuite knows it; `id` None means: do not send one."""

    code: str
    places: int
    id: str | None = None

    @classmethod
    def unresolved(cls, code: str) -> CurrencyRef:
        """The ISO minor unit, no id (pure mapping tests, accounts that book one currency)."""
        return cls(code.strip().upper(), minor_digits(code))


class CurrencyResolver:
    """Thread-safe; NetSuite is never asked under the lock.

    Every order needs its currency, so a refresh is on every worker's path. Who waits for one:

    | the caller's table                  | a refresh under way | the caller                           |
    |-------------------------------------|---------------------|--------------------------------------|
    | fresh (and knows the code, or the   | -                   | answers from it                      |
    |   code was missing < missing_ttl)   |                     |                                      |
    | stale, knows the code               | yes                 | answers from it (the old table)      |
    | stale, or lacks the code            | no                  | refreshes; its error is its own      |
    | none yet, or lacks the code         | yes                 | waits for it, then looks again (or   |
    |                                     |                     | raises its error: `latch.py`'s table)|

    A failed refresh caches nothing and keeps the old table: the next caller that needs one tries
    again.
    """

    def __init__(
        self,
        client: SuiteQLClient,
        *,
        ttl_s: float,
        missing_ttl_s: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl_s
        self._missing_ttl = missing_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._table: dict[str, CurrencyRef] = {}
        self._loaded_at: float | None = None
        self._refreshing: Latch | None = None

    def resolve(self, code: str) -> CurrencyRef | None:
        """The active NetSuite currency whose symbol is `code` (any case), or None."""
        wanted = code.strip().upper()
        while True:
            with self._lock:
                if not self._due(wanted):
                    return self._table.get(wanted)
                mine = self._refreshing is None
                refresh = self._refreshing = self._refreshing or Latch()
                if not mine and wanted in self._table:
                    return self._table[wanted]  # stale, while another caller refreshes it
            if mine:
                return self._refresh(refresh).get(wanted)
            refresh.wait()

    def _due(self, wanted: str) -> bool:
        """A refresh is due: no table yet, the table is stale, or it lacks `wanted` since long enough."""
        now = self._clock()
        if self._loaded_at is None:
            return True
        age = now - self._loaded_at
        return age >= self._ttl or (wanted not in self._table and age >= self._missing_ttl)

    def _refresh(self, refresh: Latch) -> dict[str, CurrencyRef]:
        table: dict[str, CurrencyRef] | None = None
        error: BaseException | None = None
        try:
            table = self._load()
            return table
        except BaseException as exc:
            error = exc
            raise
        finally:
            try:
                with self._lock:
                    self._refreshing = None
                    if table is not None:
                        self._table, self._loaded_at = table, self._clock()
            finally:
                refresh.end(error)  # whatever happened above: a waiter must never wait forever

    def _load(self) -> dict[str, CurrencyRef]:
        table: dict[str, CurrencyRef] = {}
        for row in self._client.suiteql(QUERY):
            symbol, currency_id = str(row.get("symbol", "")).strip().upper(), row.get("id")
            if symbol and currency_id is not None and symbol not in table:
                places = int(row.get("currencyprecision", minor_digits(symbol)))
                table[symbol] = CurrencyRef(symbol, places, str(currency_id))
        return table
