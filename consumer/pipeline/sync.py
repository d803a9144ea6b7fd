"""Write one order to NetSuite: the customer, then the sales order, each an upsert by externalId.

Exactly-once effect = at-least-once delivery + idempotent writes + versions that never go back:
- `PUT …/customer/eid:WOO_CUST_<id>?replace=addressBook` and
  `PUT …/salesOrder/eid:WOO_ORDER_<id>?replace=item` can be repeated any number of times and
  leave one record with the right lines;
- which version wins is decided by `consumer.pipeline.versions` (a table per record type): a stale
  record is skipped before anything is written, the customer is updated only from the order placed
  most recently, and an unchanged order makes no call at all.

Every NetSuite call goes out under the record's lease (`consumer.pipeline.lease`), and so does every
update of the member's memory: a record whose partition was revoked neither calls nor remembers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from consumer import metrics
from consumer.errors import SyncError, Unmappable
from consumer.netsuite import records
from consumer.netsuite.settings import MappingPolicy
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.lease import FreeLease, Lease
from consumer.pipeline.memory import KeyedLocks, WriteMemory
from consumer.pipeline.versions import (
    CustomerMemory,
    Decision,
    OrderMemory,
    Placed,
    customer_decision,
    held_is_newer,
    order_decision,
    unchanged,
)
from schemas.order import CLOSED_STATUSES, OrderEvent

log = logging.getLogger(__name__)
T = TypeVar("T")


class Outcome(StrEnum):
    WRITTEN = "written"
    SKIPPED_UNPAID = "skipped_unpaid"
    SKIPPED_CLOSED = "skipped_closed"
    SKIPPED_STALE = "skipped_stale"
    SKIPPED_UNCHANGED = "skipped_unchanged"


class RecordStore(Protocol):
    """The part of `NetSuiteClient` the writer needs (a fake in unit tests)."""

    def upsert(
        self, record_type: str, external_id: str, body: dict[str, Any], *, replace: Sequence[str] = ()
    ) -> str: ...

    def get(
        self,
        record_type: str,
        *,
        internal_id: str | None = None,
        external_id: str | None = None,
        expand_sub_resources: bool = False,
        fields: Sequence[str] | None = None,
    ) -> dict[str, Any] | None: ...


class CallRunner(Protocol):
    """`CallRetry.run` with this record's lease bound."""

    def __call__(self, call: Callable[[], T], /) -> T: ...


class ItemLookup(Protocol):
    def resolve(self, skus: Iterable[str], *, recheck_missing: bool = False) -> dict[str, str]: ...


def content_fingerprint(body: Mapping[str, Any], version_field: str) -> str:
    """Hash of what the record says, without the version stamp (a status-only change keeps it)."""
    content = {k: v for k, v in body.items() if k != version_field}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mapped(build: Callable[[], T]) -> T:
    """Run a piece of the pure mapping: any failure of it is the order's problem (`Unmappable`,
    dead-lettered with the exception's type), never a crash of the member."""
    try:
        return build()
    except SyncError:
        raise
    except Exception as exc:
        raise Unmappable(f"the mapping failed on this order: {type(exc).__name__}") from exc


class OrderWriter:
    def __init__(
        self,
        store: RecordStore,
        items: ItemLookup,
        policy: MappingPolicy,
        *,
        calls: CallRetry | None = None,
        memory: WriteMemory | None = None,
    ) -> None:
        self._store = store
        self._items = items
        self._policy = policy
        self._calls = calls or CallRetry()
        self.memory = memory or WriteMemory()
        self._customer_locks = KeyedLocks()

    def write(
        self, event: OrderEvent, *, from_retry: bool, lease: Lease | None = None, redriven: bool = False
    ) -> Outcome:
        """Write one order, every call under `lease` (`GaveUp` once it ended). A `redriven` order
        (an operator sent it back from the dead-letter topic) looks its unknown SKUs up afresh."""
        lease = lease or FreeLease()
        order = event.order

        def run(call: Callable[[], T]) -> T:
            return self._calls.run(call, lease)

        if order.status in CLOSED_STATUSES:
            return Outcome.SKIPPED_CLOSED  # cancellations/refunds: a later issue (README)
        if not order.is_paid:
            return Outcome.SKIPPED_UNPAID  # a later order.updated brings the paid version
        version = order.date_modified_gmt or ""
        known = self.memory.order(order.id)
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
        external_id = mapped(lambda: records.sales_order_external_id(order))
        if decision is Decision.READ_FIRST and held_is_newer(self._held_version(external_id, run), version):
            return Outcome.SKIPPED_STALE

        skus = mapped(lambda: records.required_skus(order))
        item_ids = run(lambda: self._items.resolve(skus, recheck_missing=redriven)) if skus else {}
        missing = [s for s in skus if s not in item_ids]
        if missing:
            raise Unmappable(f"unknown SKU(s) in NetSuite: {', '.join(missing)[:300]}")

        customer_id = self._customer(
            event, run, lease, from_retry=from_retry, read_first=decision is Decision.READ_FIRST
        )
        so = mapped(
            lambda: records.map_sales_order(
                order, customer_id=customer_id, item_ids=item_ids, policy=self._policy
            )
        )
        for warning in so.warnings:
            log.warning("order %s: %s", order.id, warning)
        fingerprint = content_fingerprint(so.body, self._policy.version_field)
        if not from_retry and unchanged(known, fingerprint):
            self._remember(lease, order.id, version, None)
            return Outcome.SKIPPED_UNCHANGED
        run(lambda: self._store.upsert(so.record_type, so.external_id, so.body, replace=("item",)))
        self._remember(lease, order.id, version, fingerprint)
        _observe_latency(event)
        return Outcome.WRITTEN

    def parked(self, event: OrderEvent, lease: Lease) -> None:
        """A main-topic version went to a retry topic: an older copy behind it is stale, and the
        "unchanged" shortcut no longer holds (another member may write this version)."""
        version = event.order.date_modified_gmt or ""
        with lease.call():
            self.memory.remember_order(
                lease.tp[1],
                event.order.id,
                lambda m: OrderMemory(m.written, m.fingerprint, max(m.parked or "", version)),
            )

    def _remember(self, lease: Lease, order_id: int, version: str, fingerprint: str | None) -> None:
        """This version is in NetSuite (`fingerprint` None: unchanged, content as remembered)."""

        def change(m: OrderMemory) -> OrderMemory:
            if m.written is not None and m.written > version:
                return m  # a newer version was remembered meanwhile
            return OrderMemory(version, fingerprint or m.fingerprint, m.parked)

        with lease.call():  # a revoked record must not update memory the revoke just cleared
            self.memory.remember_order(lease.tp[1], order_id, change)

    def _customer(
        self, event: OrderEvent, run: CallRunner, lease: Lease, *, from_retry: bool, read_first: bool
    ) -> str:
        """The customer's internal id, written first when this order's data should win (see the
        customer table in `consumer.pipeline.versions`). What is known of the customer comes from
        memory, or from NetSuite when the order was read first too and memory does not know the
        customer (a retry record never trusts memory): an old order's customer data may be older."""
        customer = mapped(lambda: records.map_customer(event.order, self._policy))
        with self._customer_locks.hold(customer.external_id):
            return self._customer_locked(customer, Placed.of(event.order), run, lease, from_retry, read_first)

    def _customer_locked(
        self,
        customer: records.MappedRecord,
        placed: Placed,
        run: CallRunner,
        lease: Lease,
        from_retry: bool,
        read_first: bool,
    ) -> str:
        known = None if from_retry else self.memory.customer(customer.external_id)
        if known is None and read_first:
            known = self._held_customer(customer.external_id, run)
        if customer_decision(known, placed, customer.fingerprint) is Decision.USE_AS_IS:
            assert known is not None
            return known.internal_id
        internal_id = run(
            lambda: self._store.upsert(
                customer.record_type, customer.external_id, customer.body, replace=("addressBook",)
            )
        )
        with lease.call():
            self.memory.remember_customer(
                customer.external_id, CustomerMemory(internal_id, placed, customer.fingerprint)
            )
        return internal_id

    def _held_customer(self, external_id: str, run: CallRunner) -> CustomerMemory | None:
        field = self._policy.customer_version_field
        held = run(lambda: self._store.get("customer", external_id=external_id, fields=["id", field]))
        if held is None or not held.get("id"):
            return None
        return CustomerMemory(str(held["id"]), Placed.parse(held.get(field)))

    def _held_version(self, external_id: str, run: CallRunner) -> str | None:
        """The version NetSuite holds for this sales order (None when it has none)."""
        field = self._policy.version_field
        existing = run(lambda: self._store.get("salesOrder", external_id=external_id, fields=[field]))
        if existing is None:
            return None
        value = existing.get(field)
        return str(value) if value else None


def _observe_latency(event: OrderEvent) -> None:
    """Metrics of a written order; never raises (the order is already in NetSuite)."""
    now = time.time()
    if event.received_at_ms:
        metrics.END_TO_END.observe(max(0.0, now - event.received_at_ms / 1000))
    try:
        created = datetime.fromisoformat((event.order.date_created_gmt or "")[:19])
    except ValueError:
        return
    metrics.ORDER_AGE_AT_WRITE.observe(max(0.0, now - created.replace(tzinfo=UTC).timestamp()))
