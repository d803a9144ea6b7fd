"""WooCommerce's tax as NetSuite will book it, per tax mode.

REST web services work with SuiteTax only, and SuiteTax computes tax on every line of a transaction
unless the transaction sets `taxDetailsOverride` and brings its own `taxDetails`, each linked to its
line by `taxDetailsReference` (Oracle: "REST Web Services Supported Records", "Sales Tax Item";
REST API browser: salesOrder `taxDetailsOverride`, `taxDetails`, item line `taxDetailsReference`;
Commerce API "taxdetails": shipping's reference is `SHIPPING`, a line without details has no tax).

| mode       | `taxDetailsOverride` | `taxDetails`                          | WooCommerce's tax      |
|------------|----------------------|---------------------------------------|------------------------|
| `suitetax` | true                 | one per line and rate (this module)   | in the details         |
| `line`     | true                 | none (no tax on any line)             | one line, the tax item |
| `netsuite` | false                | NetSuite's own                        | variance recorded      |

**suitetax.** Each line's tax shares become details: the tax code from `NETSUITE_TAX_CODE_MAP` (the
WooCommerce rate id, then its rate code, then `default`; a line without tax gets the `none` code with
0 when the map has one), basis = the line's amount, rate = the rate's `rate_percent`. Amounts are
rounded to the currency so that each rate's details add up to WooCommerce's own total for that rate
(`tax_lines[].tax_total + shipping_tax_total`) — largest remainder, as long as the two differ by
rounding only — so the tax NetSuite books is the tax on WooCommerce's invoice, per jurisdiction
("round tax at subtotal" shops round the sum, not each line). What still differs is settled by
`consumer.netsuite.balance`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from consumer.errors import Unmappable
from consumer.netsuite.lines import Draft, TaxShare, required
from consumer.netsuite.money import exact, to_json_number, to_places
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.products import plain_text, short
from schemas.order import WooOrder


@dataclass(frozen=True)
class TaxDetail:
    ref: str
    code: str
    basis: Decimal
    rate: Decimal | None
    amount: Decimal

    def body(self, index: int) -> dict[str, Any]:
        where = f"tax detail {index}"
        out: dict[str, Any] = {
            "taxDetailsReference": self.ref,
            "taxCode": {"id": self.code},
            "taxBasis": to_json_number(self.basis, field=where),
            "taxAmount": to_json_number(self.amount, field=where),
        }
        if self.rate is not None:
            out["taxRate"] = float(self.rate)
        return out


@dataclass
class _Part:
    ref: str
    rate_id: int | None
    basis: Decimal
    exact: Decimal
    amount: Decimal = Decimal(0)


def tax_line(order: WooOrder, policy: MappingPolicy, draft: Draft) -> Decimal:
    """Line mode: WooCommerce's total tax as one line on the tax item; returns the amount."""
    tax = to_places(exact(order.total_tax, field="total_tax"), draft.places)
    if tax:
        item_id = required(policy.tax_item_id, "NETSUITE_TAX_ITEM_ID", "tax")
        labels = list(dict.fromkeys(plain_text(t.label) for t in order.tax_lines if t.label.strip()))
        draft.add(item_id, 1, tax, short(f"Tax ({', '.join(labels)})" if labels else "Tax"))
    return tax


def tax_details(order: WooOrder, policy: MappingPolicy, draft: Draft) -> list[TaxDetail]:
    """SuiteTax mode: the details for every line (see the module docstring)."""
    rates = {t.rate_id: t for t in order.tax_lines if t.rate_id}
    only = next(iter(rates)) if len(rates) == 1 else None  # an order with one rate says which
    parts: list[_Part] = []
    untaxed: list[tuple[str, Decimal]] = []
    owners: list[tuple[str, tuple[TaxShare, ...], Decimal]] = [
        (ln.ref, ln.taxes, ln.amount) for ln in draft.lines
    ]
    if draft.shipping is not None:
        owners.append((draft.shipping.ref, draft.shipping.taxes, draft.shipping.amount))
    for ref, shares, amount in owners:
        if not shares:
            untaxed.append((ref, amount))
        for share in shares:
            rate_id = share.rate_id if share.rate_id is not None else only
            parts.append(_Part(ref, rate_id, to_places(share.basis, draft.places), share.amount))
    by_rate: dict[int | None, list[_Part]] = defaultdict(list)
    for part in parts:
        by_rate[part.rate_id].append(part)
    for rate_id, group in by_rate.items():
        line = rates.get(rate_id) if rate_id is not None else None
        target = None
        if line is not None:
            target = exact(line.tax_total, field="tax_lines tax_total") + exact(
                line.shipping_tax_total, field="tax_lines shipping_tax_total"
            )
        _allocate(group, target, draft.places)
    details = []
    for part in parts:
        line = rates.get(part.rate_id) if part.rate_id is not None else None
        keys = (str(part.rate_id), line.rate_code.strip()) if line is not None and part.rate_id else ()
        code = policy.tax_code(*keys)
        if code is None:
            rate = part.rate_id if part.rate_id is not None else "(not named by the order)"
            raise Unmappable(
                f"no NetSuite tax code for WooCommerce tax rate {rate}: set NETSUITE_TAX_CODE_MAP"
            )
        details.append(TaxDetail(part.ref, code, part.basis, _percent(line), part.amount))
    none_code = policy.tax_code_map.get("none")
    if none_code:
        details += [TaxDetail(ref, none_code, amount, Decimal(0), Decimal(0)) for ref, amount in untaxed]
    return details


def _allocate(group: list[_Part], target: Decimal | None, places: int) -> None:
    """Round each part; then move single units between parts (those rounding moved furthest the
    other way first) until the group adds up to `target` — only when at most one unit per part
    separates them, i.e. when the difference is rounding's. Otherwise each stays rounded half-up."""
    quantum = Decimal(1).scaleb(-places)
    rounded = [to_places(p.exact, places) for p in group]
    goal = (
        to_places(target, places)
        if target is not None
        else to_places(sum((p.exact for p in group), Decimal(0)), places)
    )
    missing = int((goal - sum(rounded, Decimal(0))) / quantum)
    if missing and abs(missing) <= len(group):
        sign = 1 if missing > 0 else -1
        worst = sorted(range(len(group)), key=lambda i: (-sign * (group[i].exact - rounded[i]), i))
        for i in worst[: abs(missing)]:
            rounded[i] += sign * quantum
    for part, amount in zip(group, rounded, strict=True):
        part.amount = amount


def _percent(line: Any) -> Decimal | None:
    if line is None or not str(line.rate_percent).strip():
        return None
    try:
        value = Decimal(str(line.rate_percent).strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None
