"""An order that changes in WooCommerce after NetSuite fulfilled or billed it.

The consumer rewrites a sales order's lines with `?replace=item`, which removes every line the
request does not name; NetSuite will not remove a fulfilled or billed line (it asks to close it), so
the write is refused. Replacing them would also erase the warehouse's and billing's work. So when
NetSuite refuses a sales-order write, one GET (sublists expanded) decides:

| NetSuite's lines                       | done                                       | outcome             |
|----------------------------------------|--------------------------------------------|---------------------|
| none fulfilled or billed (or no order) | nothing more: NetSuite's refusal stands    | dead letter         |
| fulfilled or billed, same as the order's | the header only (no line sublists)       | written             |
| fulfilled or billed, different         | the header only, then `Rejected`: "changed | dead letter, counted |
|                                        | after fulfilment" naming the difference    |                     |

"The same" compares item, quantity and amount of each line, as a multiset. A person decides what
the changed lines mean (a credit, a new order, a manual edit); `woo_consumer_changed_after_fulfilment_total`
counts them and the dead letter says which. The extra GET is spent only on a refusal, never on the
path of an ordinary write. The refusal's exact REST wording is unconfirmed (NetSuite's pages do not
quote it), which is why any refused write of an order NetSuite holds takes this look.
"""

from __future__ import annotations

from collections import Counter as Multiset
from decimal import Decimal
from typing import Any

from prometheus_client import Counter

from consumer.errors import Rejected
from consumer.netsuite.mapped import MappedRecord
from consumer.pipeline.ports import CallRunner, RecordStore

CHANGED_AFTER_FULFILMENT = Counter(
    "woo_consumer_changed_after_fulfilment",
    "Orders whose lines changed in WooCommerce after NetSuite fulfilled or billed them (dead-lettered)",
)
LINE_SUBLISTS = ("item", "taxDetails", "taxDetailsOverride")


def write_after_refusal(store: RecordStore, so: MappedRecord, refusal: Rejected, run: CallRunner) -> str:
    """The sales order's internal id when the header alone could be written; raises otherwise."""
    held = run(lambda: store.get("salesOrder", external_id=so.external_id, expand_sub_resources=True))
    theirs = _lines(held)
    if not any(_done(line) for line in theirs):
        raise refusal
    header = {k: v for k, v in so.body.items() if k not in LINE_SUBLISTS}
    internal_id = run(lambda: store.upsert("salesOrder", so.external_id, header))
    ours = _lines(so.body)
    if _shape(ours) != _shape(theirs):
        CHANGED_AFTER_FULFILMENT.inc()
        raise Rejected(
            f"changed after fulfilment: NetSuite has {len(theirs)} line(s), fulfilled or billed; the order "
            f"now has {len(ours)} different one(s) ({_difference(ours, theirs)}). The header was updated, "
            "the lines were left as NetSuite has them: decide in NetSuite (a credit, a new order)",
            status=refusal.status,
            error_code="CHANGED_AFTER_FULFILMENT",
            path="item",
        )
    return internal_id


def _lines(record: dict[str, Any] | None) -> list[dict[str, Any]]:
    item = (record or {}).get("item")
    items = item.get("items") if isinstance(item, dict) else None
    return [line for line in items or [] if isinstance(line, dict)]


def _done(line: dict[str, Any]) -> bool:
    return bool(line.get("quantityFulfilled") or line.get("quantityBilled"))


def _shape(lines: list[dict[str, Any]]) -> Multiset[tuple[str, str, str]]:
    def key(line: dict[str, Any]) -> tuple[str, str, str]:
        item = line.get("item")
        item_id = str(item.get("id") if isinstance(item, dict) else item)
        amount = Decimal(str(line.get("amount", 0))).quantize(Decimal("0.01"))
        return item_id, str(Decimal(str(line.get("quantity", 1))).normalize()), str(amount)

    return Multiset(key(line) for line in lines)


def _difference(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> str:
    """Item ids only (never names, prices or people): added and gone."""
    added, gone = _shape(ours) - _shape(theirs), _shape(theirs) - _shape(ours)
    parts = [f"item {k[0]} x{k[1]} added" for k in sorted(added)] + [
        f"item {k[0]} x{k[1]} gone" for k in sorted(gone)
    ]
    return ", ".join(parts)[:300]
