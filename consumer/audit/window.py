"""The orders an audit judges: read once from WooCommerce, keeping per order only what is compared.

A window can hold a busy shop's day or month. Keeping each order's REST body as parsed JSON (and a
`WooOrder` over it) cost 18 KiB an order for the sample body — 1.7 GiB for 100,000 (audit of
reconcile and audit, 2026-12-03); 5 KiB now. The comparison needs a few fields (`Expected`), and
only the few orders found wanting need more: their body, kept as compact JSON bytes for `--repair`
and the look-ups of what the consumer could not write (`unwritable`). An order unreadable in one
listing and readable in a later one counts as read. The keyset walk lists an order again when it
changes while being read: the version listed last is the newest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from consumer.audit.expected import Expected, expected, judged
from consumer.netsuite.settings import MappingPolicy
from consumer.woocommerce.paging import PageSource, modified_orders
from schemas.order import WooOrder


@dataclass(frozen=True)
class Window:
    wanted: list[Expected]  # the orders judged, by id
    bodies: dict[int, bytes]  # their REST bodies, compact JSON
    skipped: int  # not judged: unpaid, cancelled unpaid, trashed, or unreadable


def read_window(source: PageSource, since: datetime, until: datetime, policy: MappingPolicy) -> Window:
    newest: dict[int, Expected | None] = {}  # None: not judged
    bodies: dict[int, bytes] = {}
    unreadable: set[int] = set()
    # modified_after is exclusive: start one second earlier so an order changed exactly at --since counts
    for page in modified_orders(source, since.replace(microsecond=0) - timedelta(seconds=1), until):
        for raw in page:
            try:
                order = WooOrder.model_validate(raw)
            except ValueError:
                unreadable.add(raw["id"] if isinstance(raw.get("id"), int) else -1)
                continue
            newest[order.id] = expected(order, policy) if judged(order) else None
            if newest[order.id] is None:
                bodies.pop(order.id, None)
            else:
                bodies[order.id] = json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()
    wanted = sorted((e for e in newest.values() if e is not None), key=lambda e: e.order_id)
    skipped = len(unreadable - newest.keys()) + sum(e is None for e in newest.values())
    return Window(wanted, bodies, skipped)
