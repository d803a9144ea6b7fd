"""A cancelled order: its sales order closed (`consumer.pipeline.cancel`), then the refunds it lists.

A shop's staff often refund a paid order and then cancel it: the cancelled order's payload lists the
refunds. Closing the sales order stops the warehouse; the refunds still move money, so they are
booked as any refund (`consumer.pipeline.once`: the deposit given back while the order is unbilled)
for the sales order's customer — one GET of the order's `entity`, only when a refund is due. No
payment is booked for an order first seen cancelled. An order cancelled before its sales order was
written has nothing to refund against in NetSuite: neither its payment nor its refunds are booked.

| the cancellation (`cancel.py`)        | refunds not yet booked | outcome                       |
|---------------------------------------|------------------------|-------------------------------|
| closed the sales order                | any: booked            | `closed`                      |
| found it closed already (unchanged)   | some: booked           | `booked`                      |
| found it closed already (unchanged)   | none                   | `skipped_unchanged`           |
| anything else (stale, never written)  | (refunds not asked)    | as `cancel.py` decided        |
"""

from __future__ import annotations

from dataclasses import replace

from consumer.netsuite import records
from consumer.netsuite.policy import MappingPolicy
from consumer.pipeline.cancel import cancel
from consumer.pipeline.lease import Lease
from consumer.pipeline.lookups import currency_of
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.once import Due, Itemiser, book, due
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.ports import CallRunner, CurrencyLookup, RecordStore
from schemas.order import WooOrder


class CancelledOrders:
    def __init__(
        self,
        store: RecordStore,
        memory: WriteMemory,
        policy: MappingPolicy,
        currencies: CurrencyLookup | None,
    ) -> None:
        self._store, self._memory, self._policy, self._currencies = store, memory, policy, currencies

    def apply(
        self, order: WooOrder, lease: Lease, run: CallRunner, *, from_retry: bool, itemiser: Itemiser | None
    ) -> Outcome:
        """`from_retry`: a retry or repair decides on NetSuite alone (memory not trusted)."""
        external_id = mapped(lambda: records.sales_order_external_id(order, self._policy.store_code))
        outcome = cancel(
            self._store,
            self._memory,
            version_field=self._policy.version_field,
            order_id=order.id,
            partition=lease.tp[1],
            external_id=external_id,
            version=order.date_modified_gmt or "",
            lease=lease,
            run=run,
            trust_memory=not from_retry,
        )
        if not order.refunds or outcome not in (Outcome.CLOSED, Outcome.SKIPPED_UNCHANGED):
            return outcome
        booked = self._refunds(order, external_id, lease, run, from_retry=from_retry, itemiser=itemiser)
        return Outcome.BOOKED if booked and outcome is Outcome.SKIPPED_UNCHANGED else outcome

    def _refunds(
        self,
        order: WooOrder,
        external_id: str,
        lease: Lease,
        run: CallRunner,
        *,
        from_retry: bool,
        itemiser: Itemiser | None,
    ) -> bool:
        known = None if from_retry else self._memory.order(order.id)
        currency = currency_of(self._currencies, order, run)
        refunds = due(order, self._policy, known, currency=currency).refunds
        if not refunds:
            return False
        held = run(lambda: self._store.get("salesOrder", external_id=external_id, fields=["entity"]))
        if held is None:
            return False
        done = book(
            self._store,
            order,
            Due(payment=False, refunds=refunds),
            customer_id=str(held["entity"]["id"]),
            currency=currency,
            policy=self._policy,
            sales_order_id=str(held["id"]),
            run=run,
            itemiser=itemiser,
        )
        with lease.call():  # a revoked record must not update memory the revoke just cleared
            self._memory.remember_order(lease.tp[1], order.id, lambda m: replace(m, booked=m.booked | done))
        return True
