"""What NetSuite holds for a batch of WooCommerce orders: two SuiteQL queries per batch of 200.

```sql
-- the sales orders: ours by externalId, and look-alikes by order number (PO #) with our memo stamp
SELECT t.id, t.externalid, t.otherrefnum, t.foreigntotal, c.externalid AS customer
FROM transaction t LEFT JOIN customer c ON c.id = t.entity
WHERE t.type = 'SalesOrd' AND (t.externalid IN (...) OR (t.otherrefnum IN (...)
      AND t.memo LIKE 'WooCommerce Order #%')) ORDER BY t.id
-- their item lines: no main line, no tax-engine line; amounts are on the credit side (negative);
-- how many are still open (isclosed 'F'; a line without the flag counts as closed, so a system
-- line the PATCH cannot close never reports an order open forever — unconfirmed on a real account)
SELECT tl.transaction, COUNT(*) AS lines, SUM(tl.foreignamount) AS amount,
       SUM(CASE WHEN tl.isclosed = 'F' THEN 1 ELSE 0 END) AS openlines FROM transactionline tl
WHERE tl.transaction IN (...) AND tl.mainline = 'F' AND tl.taxline = 'F' GROUP BY tl.transaction
```
NetSuite keeps one record per externalId, so a second sales order for the same order can only carry
another externalId (or none): a retry of an integration that did not use one, a copy made by hand.
Matching the order number with our memo stamp finds those without taking other channels' orders
that happen to share the number; one under another of our sales-order external ids is another
shop's order (several shops in one account: `NETSUITE_STORE_CODE`) or another order's, never a copy.
`ORDER BY` keeps SuiteQL's pages from repeating or skipping rows.
A throttled or failed query is asked again (`consumer.audit.retry`, around the client): an audit
only reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from consumer.audit.expected import Expected
from consumer.netsuite.external_ids import is_sales_order_external_id

BATCH = 200
MEMO_STAMP = "WooCommerce Order #"


class SuiteQL(Protocol):
    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]: ...


@dataclass
class Held:
    """One sales order NetSuite holds for an order."""

    internal_id: str
    external_id: str | None
    other_ref: str | None
    customer: str | None
    total: Decimal | None
    lines: int = 0
    line_sum: Decimal = field(default_factory=Decimal)  # positive: the credit side flipped
    open_lines: int = 0


def quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def held_for(client: SuiteQL, orders: list[Expected]) -> dict[int, list[Held]]:
    """Per order id, every sales order NetSuite holds for it (none, one, or several). `client` is
    patient in the audit (`consumer.audit.retry.PatientSuiteQL`)."""
    out: dict[int, list[Held]] = {o.order_id: [] for o in orders}
    for start in range(0, len(orders), BATCH):
        batch = orders[start : start + BATCH]
        by_eid = {o.external_id: o.order_id for o in batch}
        by_number: dict[str, list[int]] = {}
        for o in batch:
            by_number.setdefault(o.number, []).append(o.order_id)
        eids, numbers = ", ".join(map(quote, by_eid)), ", ".join(map(quote, by_number))
        query = (
            "SELECT t.id, t.externalid, t.otherrefnum, t.foreigntotal, c.externalid AS customer "  # noqa: S608
            "FROM transaction t LEFT JOIN customer c ON c.id = t.entity "
            f"WHERE t.type = 'SalesOrd' AND (t.externalid IN ({eids}) OR (t.otherrefnum IN ({numbers}) "
            f"AND t.memo LIKE {quote(MEMO_STAMP + '%')})) ORDER BY t.id"
        )
        found: dict[str, Held] = {}
        for row in client.suiteql(query):
            held = Held(
                str(row["id"]), row.get("externalid"), row.get("otherrefnum"), row.get("customer"),
                _decimal(row.get("foreigntotal")),
            )  # fmt: skip
            found[held.internal_id] = held
            owners = {by_eid[held.external_id]} if held.external_id in by_eid else set()
            if not owners and not is_sales_order_external_id(held.external_id):  # a copy, by its number
                owners = set(by_number.get(held.other_ref or "", ()))
            for order_id in owners:
                out[order_id].append(held)
        if found:
            _add_lines(client, found)
    return out


def _add_lines(client: SuiteQL, found: dict[str, Held]) -> None:
    ids = ", ".join(i for i in found if i.isdigit())
    query = (
        "SELECT tl.transaction, COUNT(*) AS lines, SUM(tl.foreignamount) AS amount, "  # noqa: S608
        "SUM(CASE WHEN tl.isclosed = 'F' THEN 1 ELSE 0 END) AS openlines "
        f"FROM transactionline tl WHERE tl.transaction IN ({ids}) AND tl.mainline = 'F' "
        "AND tl.taxline = 'F' GROUP BY tl.transaction ORDER BY tl.transaction"
    )
    for row in client.suiteql(query):
        held = found.get(str(row.get("transaction")))
        if held is not None:
            held.lines = int(row.get("lines") or 0)
            held.line_sum = -(_decimal(row.get("amount")) or Decimal(0))
            held.open_lines = int(row.get("openlines") or 0)


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
