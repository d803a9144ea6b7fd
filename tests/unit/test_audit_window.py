"""What an audit keeps of its window (`consumer.audit.window`)."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from consumer.audit.window import read_window
from consumer.netsuite.settings import MappingPolicy
from consumer.woocommerce.client import Page

POLICY = MappingPolicy(
    shipping_item_id="90", discount_item_id="91", fee_item_id="92", tax_item_id="93", tax_mode="line"
)
BODY = json.loads((Path(__file__).parent.parent / "data" / "woo_order_created_body.json").read_text())
SINCE = datetime(2026, 12, 1, tzinfo=UTC)


def body(order_id: int, at: datetime, **changes: Any) -> dict[str, Any]:
    stamp = at.strftime("%Y-%m-%dT%H:%M:%S")
    return {**BODY, "id": order_id, "date_modified_gmt": stamp, "date_modified": stamp, **changes}


class Shop:
    """One page, parsed from JSON as the client parses it (so what the window keeps of it is counted),
    then nothing: what `modified_orders` asks is not checked here (test_woo_paging)."""

    def __init__(self, orders: list[dict[str, Any]]) -> None:
        self.text = json.dumps(orders)

    def page(self, path: str, params: dict[str, str]) -> Page:
        orders = json.loads(self.text)
        return Page(orders, len(orders), 1)


def test_the_window_keeps_a_few_kib_per_order_not_the_parsed_order() -> None:
    """Bodies kept as parsed JSON cost 18 KiB an order of this sample (1.7 GiB for 100,000; audit of
    reconcile and audit, 2026-12-03); 5 KiB as compact JSON bytes beside what is compared."""
    n = 300
    shop = Shop([body(i, SINCE + timedelta(seconds=i)) for i in range(1, n + 1)])
    tracemalloc.start()
    try:
        window = read_window(shop, SINCE, SINCE + timedelta(days=1), POLICY)
        kept, _peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(window.wanted) == n
    assert kept / n < 10 * 1024, f"{kept / n / 1024:.1f} KiB per order"


def test_the_newest_version_is_judged_and_the_rest_counted_as_skipped() -> None:
    at = SINCE + timedelta(minutes=1)
    shop = Shop(
        [
            body(1, at, status="pending", date_paid_gmt=None),  # unpaid when first listed ...
            body(2, at, status="pending", date_paid_gmt=None),
            {**body(3, at), "line_items": "not a list"},  # unreadable
            body(1, at + timedelta(seconds=5)),  # ... paid since: listed again, later
        ]
    )
    window = read_window(shop, SINCE, SINCE + timedelta(days=1), POLICY)
    assert [e.order_id for e in window.wanted] == [1]
    assert set(window.bodies) == {1}
    assert json.loads(window.bodies[1])["date_modified_gmt"].endswith(":05")
    assert window.skipped == 2  # order 2 unpaid, order 3 unreadable
