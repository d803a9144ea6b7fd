"""Write one order to NetSuite: the customer, then the sales order, each an upsert by externalId.

Exactly-once effect = at-least-once delivery + idempotent writes + versions that never go back:
- `PUT …/customer/eid:WOO_CUST_<id>?replace=addressBook` and
  `PUT …/salesOrder/eid:WOO_ORDER_<id>?replace=item,taxDetails` can be repeated any number of times
  and leave one record with the right lines and tax details;
- which version wins is decided by `consumer.pipeline.versions` (a table per record type): a stale
  record is skipped before anything is written, the customer is updated only from the order placed
  most recently (`consumer.pipeline.customers`), and an unchanged order makes no call at all.

A cancelled order closes its sales order's lines and books the refunds it lists
(`consumer.pipeline.cancelled`, `consumer.pipeline.cancel`, their own tables); payments and refunds are
booked once each after the sales order (`consumer.pipeline.once`); a
refused write of an order NetSuite fulfilled or billed updates its header only
(`consumer.pipeline.after_fulfilment`, its own table).

Around the mapping: the order's currency is resolved to NetSuite's (an unknown one is `Unmappable`,
never booked in another currency); a 400 naming an invalid item reference on a product line drops
that SKU's cached id, looks it up again and writes once more (an item deleted or inactivated since it
was cached); in `netsuite` tax mode the tax variance is recorded (`consumer.pipeline.tax_variance`).

Every NetSuite call goes out under the record's lease (`consumer.pipeline.lease`), and so does every
update of the member's memory: a record whose partition was revoked neither calls nor remembers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TypeVar

from consumer.errors import Rejected
from consumer.netsuite import records
from consumer.netsuite.booking_metrics import ITEM_REFERENCE_RETRIES, ROUNDING_LINES
from consumer.netsuite.policy import MappingPolicy, WriterPolicy
from consumer.pipeline.after_fulfilment import write_after_refusal
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.cancelled import CancelledOrders
from consumer.pipeline.customers import CustomerWriter
from consumer.pipeline.lease import FreeLease, Lease
from consumer.pipeline.lookups import currency_of, resolve_items
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.once import Itemiser, book, due
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.ports import CallRunner, CurrencyLookup, ItemLookup, RecordStore
from consumer.pipeline.tax_variance import record_tax_variance
from consumer.pipeline.trace import observe_written
from consumer.pipeline.versions import (
    Decision,
    OrderMemory,
    cancelled_since,
    held_is_newer,
    order_decision,
    unchanged,
)
from schemas.order import OrderEvent, WooOrder

log = logging.getLogger(__name__)
T = TypeVar("T")
_ITEM_PATH = re.compile(r"item\.items\[(\d+)\]\.item")


class OrderWriter:
    def __init__(
        self,
        store: RecordStore,
        items: ItemLookup,
        policy: MappingPolicy,
        *,
        calls: CallRetry | None = None,
        memory: WriteMemory | None = None,
        currencies: CurrencyLookup | None = None,
        writer_policy: WriterPolicy | None = None,
    ) -> None:
        """`currencies` None: no currency is sent (the ISO minor unit rounds; single-currency tests)."""
        self._store = store
        self._items = items
        self._policy = policy
        self._writer_policy = writer_policy or WriterPolicy()
        self._calls = calls or CallRetry()
        self.memory = memory or WriteMemory()
        self._currencies = currencies
        self._customers = CustomerWriter(store, self.memory, policy, self._writer_policy)
        self._cancelled = CancelledOrders(store, self.memory, policy, currencies)
        self.itemiser: Itemiser | None = None  # set when the WooCommerce API is configured

    def write(
        self, event: OrderEvent, *, from_retry: bool, lease: Lease | None = None, redriven: bool = False
    ) -> Outcome:
        """Write one order, every call under `lease` (`GaveUp` once it ended). A `redriven` order
        (an operator sent it back from the dead-letter topic) looks its unknown SKUs up afresh."""
        lease = lease or FreeLease()
        order = event.order

        def run(call: Callable[[], T]) -> T:
            return self._calls.run(call, lease)

        if order.status == "cancelled":
            return self._cancelled.apply(order, lease, run, from_retry=from_retry, itemiser=self.itemiser)
        if order.status == "trash":
            return Outcome.SKIPPED_CLOSED  # a trashed order is left as NetSuite has it (README)
        if not order.is_paid:
            return Outcome.SKIPPED_UNPAID  # a later order.updated brings the paid version
        version = order.date_modified_gmt or ""
        known = self.memory.order(order.id)
        if cancelled_since(known, version):
            return Outcome.SKIPPED_STALE
        decision = order_decision(
            version,
            known,
            from_retry=from_retry,
            event=event.webhook_topic,
            redriven=redriven,
            horizon=self.memory.order_horizon(),
        )
        if decision is Decision.SKIP_STALE:
            return Outcome.SKIPPED_STALE
        external_id = mapped(lambda: records.sales_order_external_id(order, self._policy.store_code))
        if decision is Decision.READ_FIRST and held_is_newer(self._held_version(external_id, run), version):
            return Outcome.SKIPPED_STALE

        skus = mapped(lambda: records.required_skus(order))
        item_ids = resolve_items(self._items, skus, run, recheck=redriven)
        currency = currency_of(self._currencies, order, run)
        customer_id = self._customers.resolve(
            order, currency, run, lease, from_retry=from_retry, read_first=decision is Decision.READ_FIRST
        )

        def build(ids: Mapping[str, str]) -> records.MappedRecord:
            return mapped(
                lambda: records.map_sales_order(
                    order, customer_id=customer_id, item_ids=ids, policy=self._policy, currency=currency
                )
            )

        so = build(item_ids)
        trusted = None if from_retry else known  # retries and repairs book everything again
        money = due(order, self._policy, trusted, currency=currency)
        same = not from_retry and unchanged(known, so.fingerprint)
        if same and not money:
            self._remember(lease, order.id, version, None)
            return Outcome.SKIPPED_UNCHANGED
        so_id, fingerprint = None, so.fingerprint
        if not same:
            so_id, fingerprint = self._write_sales_order(order, so, build, skus, run, currency.places)
        done = book(
            self._store,
            order,
            money,
            customer_id=customer_id,
            currency=currency,
            policy=self._policy,
            sales_order_id=so_id,
            run=run,
            itemiser=self.itemiser,
            new_order=known is None and decision is Decision.WRITE,  # row 5: its payment cannot exist
        )
        self._remember(lease, order.id, version, fingerprint, done)
        if same:
            return Outcome.BOOKED  # a refund (or a late payment) of an order NetSuite has as it is
        observe_written(event)
        return Outcome.WRITTEN

    def _write_sales_order(
        self,
        order: WooOrder,
        so: records.MappedRecord,
        build: Callable[[Mapping[str, str]], records.MappedRecord],
        skus: list[str],
        run: CallRunner,
        places: int,
    ) -> tuple[str, str]:
        """Upsert the sales order (once more after an item NetSuite no longer has); its internal id
        and the fingerprint of what was written."""
        try:
            internal_id = run(lambda: self._upsert(so))
        except Rejected as exc:
            sku = _stale_item(exc, order)
            if sku is None:  # fulfilled or billed lines NetSuite will not replace? (after_fulfilment.py)
                internal_id = write_after_refusal(self._store, so, exc, run)
            else:
                ITEM_REFERENCE_RETRIES.inc()  # the cached id is gone from NetSuite: look the SKU up again
                self._items.invalidate(sku)
                so = build(resolve_items(self._items, skus, run, recheck=True))
                internal_id = run(lambda: self._upsert(so))
        for warning in so.warnings:
            log.warning("order %s: %s", order.id, warning)
        if so.rounding:
            ROUNDING_LINES.inc()
        if self._policy.tax_mode == "netsuite":
            record_tax_variance(self._store, self._writer_policy, order, internal_id, places, run)
        return internal_id, so.fingerprint

    def _upsert(self, so: records.MappedRecord) -> str:
        return self._store.upsert(so.record_type, so.external_id, so.body, replace=("item", "taxDetails"))

    def parked(self, event: OrderEvent, lease: Lease) -> None:
        """A main-topic version went to a retry topic: an older copy behind it is stale, and the
        "unchanged" shortcut no longer holds (another member may write this version)."""
        version = event.order.date_modified_gmt or ""
        with lease.call():
            self.memory.remember_order(
                lease.tp[1],
                event.order.id,
                lambda m: replace(m, parked=max(m.parked or "", version)),
            )

    def _remember(
        self,
        lease: Lease,
        order_id: int,
        version: str,
        fingerprint: str | None,
        booked: frozenset[str] = frozenset(),
    ) -> None:
        """This version is in NetSuite (`fingerprint` None: unchanged, content as remembered), and
        these once-only records (`consumer.pipeline.once`) are booked."""

        def change(m: OrderMemory) -> OrderMemory:
            if m.written is not None and m.written > version:
                return replace(m, booked=m.booked | booked)  # a newer version was remembered meanwhile
            return OrderMemory(version, fingerprint or m.fingerprint, m.parked, m.booked | booked)

        with lease.call():  # a revoked record must not update memory the revoke just cleared
            self.memory.remember_order(lease.tp[1], order_id, change)

    def _held_version(self, external_id: str, run: CallRunner) -> str | None:
        """The version NetSuite holds for this sales order (None when it has none)."""
        field = self._policy.version_field
        existing = run(lambda: self._store.get("salesOrder", external_id=external_id, fields=[field]))
        if existing is None:
            return None
        value = existing.get(field)
        return str(value) if value else None


def _stale_item(error: Rejected, order: WooOrder) -> str | None:
    """The SKU of the product line a 400 names as an invalid item reference, if it names one."""
    match = _ITEM_PATH.fullmatch(error.path or "")
    if match is None:
        return None
    index = int(match.group(1))
    skus = records.sales_order_sku_lines(order)
    return skus[index] if index < len(skus) else None
