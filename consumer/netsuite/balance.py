"""The invariant: what NetSuite will total equals WooCommerce's `total`, to the currency's unit.

NetSuite totals a sales order as Σ line amounts + shipping cost + Σ tax (SuiteTax; in `netsuite` tax
mode the tax is NetSuite's own, so the lines must equal `total - total_tax`). The lines are
WooCommerce's figures rounded once to NetSuite's precision, so they can disagree with WooCommerce's
own `total` string by rounding: a shop that rounds tax at the subtotal, a 3-decimal shop booked in a
2-decimal currency, a JPY shop with decimals. A disagreement of at most `ROUNDING_TOLERANCE` (and at
least one unit of the currency, so a JPY order may differ by a yen) becomes one line on
`NETSUITE_ROUNDING_ITEM_ID`, counted by `woo_netsuite_rounding_lines_total`; a larger one means the
order's own figures do not add up: `Unmappable`, with both figures — never a silent plug.
"""

from __future__ import annotations

from decimal import Decimal

from consumer.errors import Unmappable
from consumer.netsuite.lines import Draft, required
from consumer.netsuite.money import exact, to_places
from consumer.netsuite.policy import MappingPolicy
from schemas.order import WooOrder


def balance(order: WooOrder, policy: MappingPolicy, draft: Draft, tax: Decimal) -> Decimal:
    """Add the rounding line if needed; returns its amount (0 when the figures agree)."""
    total = exact(order.total, field="total")
    if total < 0:
        raise Unmappable(f"order total {total} is negative: not a sales order")
    expected = to_places(total, draft.places)
    if policy.tax_mode == "netsuite":  # the net, so that NetSuite's total - ours = its tax - ours
        expected -= to_places(exact(order.total_tax, field="total_tax"), draft.places)
    sent = draft.net() + tax
    difference = expected - sent
    if not difference:
        return difference
    tolerance = max(policy.rounding_tolerance, Decimal(1).scaleb(-draft.places))
    if abs(difference) > tolerance:
        raise Unmappable(
            f"line amounts and tax add up to {sent} but the order says {expected} (total {order.total}, "
            f"total_tax {order.total_tax}): the order's own figures disagree by more than {tolerance}"
        )
    item_id = required(
        policy.rounding_item_id, "NETSUITE_ROUNDING_ITEM_ID", f"a rounding difference of {difference}"
    )
    draft.add(item_id, 1, difference, "Rounding difference (WooCommerce totals)")
    return difference
