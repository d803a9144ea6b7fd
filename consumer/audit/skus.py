"""Orders the audit found missing or different that the consumer cannot write for an unknown SKU.

The audit's own mapping accepts any SKU (it judges counts and totals, not item ids), so an order the
consumer dead-lettered for a SKU NetSuite lacks came out `missing` and `--repair` re-sent it on every
run — to be dead-lettered again, in a burst that can trip the dead-letter breaker (audit of
reconcile and audit, 2026-12-03). The SKUs of just those orders are looked up as the consumer looks
them up (`ItemResolver`, one SuiteQL query per 200 SKUs); an order with one NetSuite does not have is
marked unmappable: reported with the reason, left to a person (create the item, then redrive).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from consumer.audit.compare import MISMATCHED, MISSING, compare
from consumer.audit.expected import Expected
from consumer.audit.netsuite import Held
from consumer.errors import Unmappable
from consumer.netsuite.records import required_skus
from schemas.order import WooOrder

Resolve = Callable[[Iterable[str]], dict[str, str]]


def with_unknown_skus(
    wanted: list[Expected], held: dict[int, list[Held]], raw: dict[int, dict[str, Any]], resolve: Resolve
) -> list[Expected]:
    """`wanted`, the orders to repair whose SKUs NetSuite lacks marked unmappable."""
    skus: dict[int, list[str]] = {}
    for exp in wanted:
        finding = compare(exp, held[exp.order_id])
        if exp.unmappable or finding is None or finding.problem not in (MISSING, MISMATCHED):
            continue
        try:
            skus[exp.order_id] = required_skus(WooOrder.model_validate(raw[exp.order_id]))
        except (Unmappable, ValueError):
            continue  # the audit's own mapping would have said so
    if not skus:
        return wanted
    found = resolve(sorted({s for each in skus.values() for s in each}))
    marked = []
    for exp in wanted:
        unknown = [s for s in skus.get(exp.order_id, []) if s not in found]
        reason = f"unknown SKU(s) in NetSuite: {', '.join(unknown)[:300]}"  # as the consumer says it
        marked.append(replace(exp, unmappable=reason) if unknown else exp)
    return marked
