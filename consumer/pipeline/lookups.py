"""The two look-ups every order needs before it can be mapped: its SKUs' item ids and its currency.

Either one missing in NetSuite makes the order `Unmappable` (dead-lettered with the reason, redriven
once someone fixed NetSuite): an unknown SKU would lose a line, an unknown currency would book the
order in another currency.
"""

from __future__ import annotations

from collections.abc import Mapping

from consumer.errors import Unmappable
from consumer.netsuite.currency import CurrencyRef
from consumer.pipeline.ports import CallRunner, CurrencyLookup, ItemLookup
from schemas.order import WooOrder


def resolve_items(items: ItemLookup, skus: list[str], run: CallRunner, *, recheck: bool) -> dict[str, str]:
    """SKU → item id for every SKU (`recheck`: SKUs remembered as unknown are looked up again)."""
    found = run(lambda: items.resolve(skus, recheck_missing=recheck)) if skus else {}
    check_items(skus, found)
    return found


def check_items(skus: list[str], found: Mapping[str, str]) -> None:
    """`Unmappable` naming the SKUs NetSuite has no item for (`found`: SKU → item id)."""
    missing = [s for s in skus if s not in found]
    if missing:
        raise Unmappable(f"unknown SKU(s) in NetSuite: {', '.join(missing)[:300]}")


def currency_of(currencies: CurrencyLookup | None, order: WooOrder, run: CallRunner) -> CurrencyRef:
    """The order's NetSuite currency (`currencies` None: none is sent, the ISO minor unit rounds)."""
    if currencies is None:
        return CurrencyRef.unresolved(order.currency)
    found = run(lambda: currencies.resolve(order.currency))
    if found is None:
        raise Unmappable(
            f"currency {order.currency.strip()[:10]!r} is not an active NetSuite currency: the order "
            "would be booked in another currency; create or activate it in NetSuite, then redrive"
        )
    return found
