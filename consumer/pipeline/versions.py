"""The version rules: the newest data always wins, for sales orders and for customers.

Two records per order reach NetSuite, and each has its own notion of "newer":

* a **sales order** is as new as the order's `date_modified_gmt` (NETSUITE_VERSION_FIELD holds it);
* a **customer** is as new as the most recently *placed* order whose billing data it holds — that
  order's `date_created_gmt`, then its id (NETSUITE_CUSTOMER_VERSION_FIELD holds `<created> #<id>`).
  A status update of an older order (processing → completed) has a newer `date_modified_gmt` but
  must not write its older address over a newer order's.

Sales order — decided before anything is written (a stale record never touches the customer):

| # | record from | what the member remembers of the order                   | decision              |
|---|-------------|-----------------------------------------------------------|-----------------------|
| 1 | retry topic | (not trusted: another member may own the main partition)  | read NetSuite first   |
| 2 | main topic  | a newer version written, or parked in a retry topic       | skip as stale         |
| 3 | main topic  | the same content written, and nothing parked after it     | skip as unchanged     |
| 4 | main topic  | an older version written (or parked since)                | write                 |
| 5 | main topic  | nothing; `order.created`, not redriven, past the horizon (1) | write                 |
| 6 | main topic  | nothing, anything else (updated, redrive, reconcile, old)  | read NetSuite first   |

A repair (`x-repair`, sent by `audit --repair` because NetSuite was changed behind the group's back:
a sales order deleted or edited there) is decided as row 1, and never skipped as unchanged.
After "read NetSuite first": NetSuite holds a newer version → skip as stale; else write. Row 3 is
checked after mapping (it needs the content); rows 1, 2, 5, 6 before. (1) The horizon is where the
group's memory may have forgotten orders (`WriteMemory.order_horizon`): a new order is newer; without
the memory topics there is no horizon, and an unknown `order.created` is written (README, Known limits).

Customer — decided after the sales order passed, from memory or, when the order was read from NetSuite
first and memory does not know the customer (retry records always), from NetSuite's version field:

| # | what is known of the customer               | this order vs the customer's order | decision  |
|---|---------------------------------------------|------------------------------------|-----------|
| 1 | no such customer                            | —                                  | write     |
| 2 | written from a newer order                  | older                              | use as is |
| 3 | written from this or an older order         | the same content                   | use as is |
| 4 | written from this or an older order         | changed (or content unknown)       | write     |
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from schemas.order import WooOrder


class Decision(StrEnum):
    WRITE = "write"
    SKIP_STALE = "skip_stale"
    SKIP_UNCHANGED = "skip_unchanged"
    READ_FIRST = "read_netsuite_first"
    USE_AS_IS = "use_as_is"


@dataclass(frozen=True)
class OrderMemory:
    """What this member knows of one order (versions are `date_modified_gmt` strings)."""

    written: str | None = None  # the version written to NetSuite
    fingerprint: str | None = None  # of that sales order, without the version stamp
    parked: str | None = None  # the newest version a main-topic copy sent to a retry topic
    booked: frozenset[str] = frozenset()  # external ids of records written once: payment, refunds


@dataclass(frozen=True, order=True)
class Placed:
    """Which order a customer's data comes from: ordered by creation time, then order id."""

    created_gmt: str
    order_id: int

    @classmethod
    def of(cls, order: WooOrder) -> Placed:
        return cls((order.date_created_gmt or "")[:19], order.id)

    @classmethod
    def parse(cls, text: object) -> Placed | None:
        """`2025-03-14T09:15:30 #4711` as NetSuite holds it; None when absent or unreadable."""
        if not isinstance(text, str) or " #" not in text:
            return None
        created, _, order_id = text.rpartition(" #")
        return cls(created, int(order_id)) if order_id.isdigit() else None

    def text(self) -> str:
        return f"{self.created_gmt} #{self.order_id}"


@dataclass(frozen=True)
class CustomerMemory:
    """What is known of one customer: its internal id and which order's data it holds."""

    internal_id: str
    placed: Placed | None  # None: NetSuite holds no version (written before versions, or by hand)
    fingerprint: str | None = None  # None when read back from NetSuite (content unknown)


def order_decision(
    version: str,
    memory: OrderMemory | None,
    *,
    from_retry: bool,
    event: str,
    redriven: bool = False,
    horizon: str | None = None,
) -> Decision:
    """Rows 1, 2, 5 and 6 of the sales-order table (row 3 needs the content: `unchanged`)."""
    if from_retry:
        return Decision.READ_FIRST
    if memory is not None and max(memory.written or "", memory.parked or "") > version:
        return Decision.SKIP_STALE
    if memory is None:
        new_order = event == "order.created" and not redriven and (horizon is None or version > horizon)
        return Decision.WRITE if new_order else Decision.READ_FIRST
    return Decision.WRITE


def unchanged(memory: OrderMemory | None, fingerprint: str) -> bool:
    """Row 3: the same content was written and no version was parked after it (another member may
    have written the parked version from the retry topic, so NetSuite may hold other content)."""
    if memory is None or memory.written is None or memory.fingerprint != fingerprint:
        return False
    return memory.parked is None or memory.parked <= memory.written


CANCELLED = "cancelled"  # the memory's fingerprint of an applied cancellation (`consumer.pipeline.cancel`)


def cancelled_since(memory: OrderMemory | None, version: str) -> bool:
    """A cancellation at this version or later was applied: a paid version no newer must not write —
    not when it comes back from a retry topic it was parked in before the cancellation arrived (a
    retry reads NetSuite, which holds nothing), nor on a tie (paid and cancelled in one second: the
    cancellation wins). Asked before every other rule, for retries and repairs too."""
    return memory is not None and memory.fingerprint == CANCELLED and (memory.written or "") >= version


def held_is_newer(held: str | None, version: str) -> bool:
    """After reading NetSuite first: does it hold a newer sales-order version than this record?"""
    return held is not None and held > version


def customer_decision(known: CustomerMemory | None, placed: Placed, fingerprint: str) -> Decision:
    """The customer table, rows 1 to 4."""
    if known is None:
        return Decision.WRITE
    if known.placed is not None and known.placed > placed:
        return Decision.USE_AS_IS
    if known.fingerprint == fingerprint:
        return Decision.USE_AS_IS
    return Decision.WRITE
