"""Every order modified in a window, read from a list that changes while it is read.

`GET /orders?modified_after=T&dates_are_gmt=true&orderby=modified&order=asc&per_page=100&page=N` sorts
by `date_modified`, then ID. Paging it by `page=N` alone loses orders: an order on a page already read
that is changed (or trashed) meanwhile leaves its place, every later order moves up one place, and
the first order of the next page slips onto the page already read — never seen. So the walk is a
*keyset* walk: each request asks again from just before the newest modification time seen.

| what happens while paging                        | keyset walk                                   |
|--------------------------------------------------|-----------------------------------------------|
| an order already read is changed                 | listed again at the end, with its new version |
| an order not yet read is changed                 | read at its new place, at the end             |
| an order already read is trashed, or a new one   | nothing moves under the cursor: no gap        |
| appears                                          |                                               |
| several orders modified in the same second       | the cursor stays 1 s back: those are listed   |
|                                                  | again and skipped by (id, version)            |
| more than a page of orders in one second         | `page=N` within that second, until passed     |
| the end                                          | a short page, or `X-WP-TotalPages` reached    |

Times go out as naive UTC with `dates_are_gmt=true`: the only form WooCommerce reads as UTC on every
site (without the flag the value is site-local; with an offset it is converted to site-local and
still compared with the GMT column — devstack/woo_sim/dates.py has the sources).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from consumer.woocommerce.client import Page

PER_PAGE = 100
ORDER_LIST = {"dates_are_gmt": "true", "orderby": "modified", "order": "asc", "per_page": str(PER_PAGE)}
_SECOND = timedelta(seconds=1)


class PageSource(Protocol):
    def page(self, path: str, params: dict[str, str]) -> Page: ...


def wp_time(moment: datetime) -> str:
    """A moment as WooCommerce reads it with `dates_are_gmt=true`: naive UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def modified_of(order: dict[str, Any]) -> datetime | None:
    """`date_modified_gmt` as an aware moment; None when absent or unreadable."""
    text = order.get("date_modified_gmt")
    if not isinstance(text, str):
        return None
    try:
        return datetime.strptime(text[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def modified_orders(
    source: PageSource, after: datetime, until: datetime | None = None
) -> Iterator[list[dict[str, Any]]]:
    """Pages of the orders with `after < date_modified_gmt <= until`, oldest first; each (id, version)
    once. Orders modified after `until` are left for a later walk."""
    cursor = after.astimezone(UTC).replace(microsecond=0)
    number = 1
    seen: dict[tuple[Any, Any], datetime] = {}
    while True:
        page = source.page("/orders", {**ORDER_LIST, "modified_after": wp_time(cursor), "page": str(number)})
        fresh: list[dict[str, Any]] = []
        for order in page.items:
            modified = modified_of(order)
            if until is not None and modified is not None and modified > until:
                if fresh:
                    yield fresh
                return  # sorted by modification: everything after this is later still
            key = (order.get("id"), order.get("date_modified_gmt"))
            if key not in seen:
                seen[key] = modified or cursor
                fresh.append(order)
        if fresh:
            yield fresh
        if number >= page.total_pages or len(page.items) < PER_PAGE:
            return
        last = modified_of(page.items[-1])
        if last is not None and last - _SECOND > cursor:
            cursor, number = last - _SECOND, 1
            seen = {k: v for k, v in seen.items() if v > cursor}  # older keys cannot come back
        else:
            number += 1  # a page of one second: step through that second by page
