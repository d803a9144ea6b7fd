"""`netsuite` tax mode: NetSuite computes the tax; how far it is from WooCommerce's is recorded.

When the account's own tax engine is trusted (`NETSUITE_TAX_MODE=netsuite`), the lines carry
WooCommerce's net amounts and NetSuite adds the tax it computes, which may differ from what the
customer was charged (other rates, other rounding, exemptions). Like Celigo's tax-variance field,
the difference is written to the sales order — `NETSUITE_TAX_VARIANCE_FIELD`, NetSuite's `taxTotal`
minus WooCommerce's `total_tax` — and observed (`woo_netsuite_tax_variance`, and
`woo_netsuite_tax_variance_orders_total{beyond_tolerance}` for the `WooNetSuiteTaxVariance`
alert past `NETSUITE_TAX_VARIANCE_TOLERANCE`). It costs two calls (read the total, write the field)
on the orders that are written; an unchanged re-delivery is skipped before, as always.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from consumer.netsuite.booking_metrics import TAX_VARIANCE, TAX_VARIANCE_ORDERS
from consumer.netsuite.money import exact, to_json_number, to_places
from consumer.netsuite.policy import WriterPolicy
from schemas.order import WooOrder

log = logging.getLogger(__name__)
T = TypeVar("T")


class Runner(Protocol):
    def __call__(self, call: Callable[[], T], /) -> T: ...


class VarianceStore(Protocol):
    def get(
        self, record_type: str, *, internal_id: str | None = None, fields: Sequence[str] | None = None
    ) -> dict[str, Any] | None: ...
    def update(self, record_type: str, internal_id: str, body: dict[str, Any]) -> None: ...


def record_tax_variance(
    store: VarianceStore, policy: WriterPolicy, order: WooOrder, internal_id: str, places: int, run: Runner
) -> Decimal | None:
    """Read what NetSuite taxed, record the difference; None when NetSuite shows no tax total."""
    held = run(lambda: store.get("salesOrder", internal_id=internal_id, fields=["taxTotal", "total"]))
    if held is None or held.get("taxTotal") is None:
        log.warning("order %s: NetSuite shows no taxTotal, tax variance not recorded", order.id)
        return None
    netsuite_tax = Decimal(repr(float(held["taxTotal"])))
    variance = netsuite_tax - to_places(exact(order.total_tax, field="total_tax"), places)
    beyond = abs(variance) > policy.tax_variance_tolerance
    TAX_VARIANCE.observe(float(abs(variance)))
    if variance:
        TAX_VARIANCE_ORDERS.labels("true" if beyond else "false").inc()
    if beyond:
        log.warning("order %s: NetSuite's tax differs from WooCommerce's by %s", order.id, variance)
    if policy.tax_variance_field:
        body = {policy.tax_variance_field: to_json_number(variance, field="tax variance")}
        run(lambda: store.update("salesOrder", internal_id, body))
    return variance
