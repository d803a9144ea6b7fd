"""One WooCommerce order against what NetSuite holds, and the report of every order that differs.

| NetSuite holds                                   | finding                                          |
|--------------------------------------------------|--------------------------------------------------|
| no sales order `WOO_ORDER_<id>`                  | `missing` (with the mapping's reason when the    |
|                                                  | order cannot be written; a look-alike by PO # is |
|                                                  | named)                                           |
| more than one sales order for the order          | `duplicated` (each internal id)                  |
| one, with another customer, line count or total  | `mismatched` (each difference)                   |
| one, matching                                    | nothing                                          |
| a cancelled order's, with lines still open       | `not_closed` (the warehouse may still ship it)   |
| none for a cancelled order                       | nothing (it was never written)                   |

Amounts are compared rounded to the order currency's minor unit (SuiteQL sums floats). A guest customer's key
embeds an email: reports show guest keys as `WOO_GUEST_…` only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from consumer.audit.expected import Expected
from consumer.audit.netsuite import Held
from consumer.netsuite.money import round_money

MISSING, DUPLICATED, MISMATCHED, NOT_CLOSED = "missing", "duplicated", "mismatched", "not_closed"
PROBLEMS = (MISSING, DUPLICATED, MISMATCHED, NOT_CLOSED)


@dataclass(frozen=True)
class Finding:
    order_id: int
    number: str
    problem: str
    details: tuple[str, ...]
    netsuite_ids: tuple[str, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "number": self.number,
            "problem": self.problem,
            "details": list(self.details),
            "netsuite_ids": list(self.netsuite_ids),
        }


def shown(customer: str | None) -> str:
    if customer is None:
        return "none"
    head, guest, _email = customer.partition("GUEST_")  # WOO_GUEST_…, or WOO_<store code>_GUEST_…
    return f"{head}{guest}…" if guest else customer


def compare(exp: Expected, held: list[Held]) -> Finding | None:
    ids = tuple(h.internal_id for h in held)
    ours = [h for h in held if h.external_id == exp.external_id]
    if len(held) > 1:
        each = [
            f"{h.internal_id}: externalId {h.external_id or '-'}, PO # {h.other_ref or '-'}" for h in held
        ]
        return Finding(exp.order_id, exp.number, DUPLICATED, tuple(each), ids)
    if exp.cancelled:
        still_open = [h for h in ours if h.open_lines]
        if not still_open:
            return None
        [one] = still_open
        detail = f"cancelled in WooCommerce; {one.open_lines} of {one.lines} lines open in NetSuite"
        return Finding(exp.order_id, exp.number, NOT_CLOSED, (detail,), ids)
    if not ours:
        details: list[str] = [f"no sales order {exp.external_id}"]
        if exp.unmappable:
            details.append(f"it cannot be written: {exp.unmappable}")
        details += [
            f"sales order {h.internal_id} has PO # {h.other_ref} and externalId {h.external_id or 'none'}"
            for h in held
        ]
        return Finding(exp.order_id, exp.number, MISSING, tuple(details), ids)
    [one] = ours
    diffs = []
    if exp.customer is not None and one.customer != exp.customer:
        diffs.append(f"customer {shown(exp.customer)} expected, NetSuite has {shown(one.customer)}")
    if exp.lines is not None and one.lines != exp.lines:
        diffs.append(f"{exp.lines} lines expected, NetSuite has {one.lines}")
    actual = one.line_sum if exp.compare_line_sum else one.total
    if actual is None or round_money(actual, exp.currency) != exp.total:
        what = "line sum" if exp.compare_line_sum else "total"
        diffs.append(f"{what} {exp.total} expected, NetSuite has {actual if actual is not None else 'none'}")
    if diffs:
        if exp.unmappable:  # so `--repair` leaving it out says why
            diffs.append(f"it cannot be written: {exp.unmappable}")
        return Finding(exp.order_id, exp.number, MISMATCHED, tuple(diffs), ids)
    return None


def table(findings: list[Finding]) -> str:
    rows = [("PROBLEM", "ORDER", "NUMBER", "NETSUITE", "DETAIL")]
    for f in findings:
        rows.append(
            (f.problem, str(f.order_id), f.number, ",".join(f.netsuite_ids) or "-", "; ".join(f.details))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)) + "  " + r[4] for r in rows
    )


def json_lines(findings: list[Finding]) -> str:
    return "\n".join(json.dumps(f.as_json(), ensure_ascii=False) for f in findings)
