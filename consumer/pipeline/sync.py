"""Write one order to NetSuite: the customer, then the sales order, each an upsert by externalId.

Exactly-once effect = at-least-once delivery + idempotent writes:
- `PUT …/customer/eid:WOO_CUST_<id>?replace=addressBook` and
  `PUT …/salesOrder/eid:WOO_ORDER_<id>?replace=item` can be repeated any number of times and
  leave one record with the right lines;
- every sales order carries the order's `date_modified_gmt` in the version field, and a version
  older than the one NetSuite (or this member) already holds is skipped, never written;
- an order whose mapped records did not change since this member wrote them (a status-only
  update, a redelivery) makes no call at all.

What this member remembers is trusted only for records of the main topic, which it reads in key
order. A record from a retry topic may be older than what *another* member wrote meanwhile (the
retry topics of one key can be owned by other members), so it always reads the version NetSuite
holds first, and it never updates an existing customer (it could carry an older address).
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
from consumer.errors import Unmappable
from consumer.netsuite import records
from consumer.netsuite.settings import MappingPolicy
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.memory import WriteMemory, WrittenCustomer, WrittenOrder
from schemas.order import CLOSED_STATUSES, OrderEvent

log = logging.getLogger(__name__)


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


T = TypeVar("T")


class CallRunner(Protocol):
    """`CallRetry.run` with this record's `proceed` bound."""

    def __call__(self, call: Callable[[], T], /) -> T: ...


class ItemLookup(Protocol):
    def resolve(self, skus: Iterable[str]) -> dict[str, str]: ...


def content_fingerprint(body: Mapping[str, Any], version_field: str) -> str:
    """Hash of what the record says, without the version stamp (a status-only change keeps it)."""
    content = {k: v for k, v in body.items() if k != version_field}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


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

    def write(
        self, event: OrderEvent, *, from_retry: bool, proceed: Callable[[], bool] | None = None
    ) -> Outcome:
        """Write one order. `proceed` is asked before every NetSuite call: once the record is no
        longer this member's (revoked, stopping) it raises `GaveUp` instead of calling NetSuite, so a
        revoked record's write cannot land after the new owner's."""
        order = event.order

        def run(call: Callable[[], T]) -> T:
            return self._calls.run(call, proceed)

        if order.status in CLOSED_STATUSES:
            return Outcome.SKIPPED_CLOSED  # cancellations/refunds: a later issue (README)
        if not order.is_paid:
            return Outcome.SKIPPED_UNPAID  # a later order.updated brings the paid version
        version = order.date_modified_gmt or ""
        known = None if from_retry else self.memory.orders.get(order.id)
        parked = None if from_retry else self.memory.parked.get(order.id)
        if (known is not None and known.version > version) or (parked is not None and parked > version):
            return Outcome.SKIPPED_STALE

        skus = records.required_skus(order)
        item_ids = run(lambda: self._items.resolve(skus)) if skus else {}
        missing = [s for s in skus if s not in item_ids]
        if missing:
            raise Unmappable(f"unknown SKU(s) in NetSuite: {', '.join(missing)[:300]}")

        customer_id = self._customer(event, run, update=not from_retry)
        so = records.map_sales_order(order, customer_id=customer_id, item_ids=item_ids, policy=self._policy)
        for warning in so.warnings:
            log.warning("order %s: %s", order.id, warning)
        fingerprint = content_fingerprint(so.body, self._policy.version_field)
        if known is not None and known.fingerprint == fingerprint:
            self.memory.orders.put(order.id, WrittenOrder(max(version, known.version), fingerprint))
            return Outcome.SKIPPED_UNCHANGED
        if known is None and (from_retry or event.webhook_topic != "order.created"):
            held = self._held_version(so.external_id, run)
            if held is not None and held > version:
                return Outcome.SKIPPED_STALE
        run(lambda: self._store.upsert(so.record_type, so.external_id, so.body, replace=("item",)))
        previous = self.memory.orders.get(order.id)
        if previous is None or version >= previous.version:
            self.memory.orders.put(order.id, WrittenOrder(version, fingerprint))
        _observe_latency(event)
        return Outcome.WRITTEN

    def parked(self, event: OrderEvent) -> None:
        """A main-topic version went to a retry topic: an older copy behind it is stale."""
        version = event.order.date_modified_gmt or ""
        current = self.memory.parked.get(event.order.id)
        if current is None or version > current:
            self.memory.parked.put(event.order.id, version)

    def _customer(self, event: OrderEvent, run: CallRunner, *, update: bool) -> str:
        customer = records.map_customer(event.order, self._policy)
        fingerprint = content_fingerprint(customer.body, "")
        known = self.memory.customers.get(customer.external_id)
        if known is not None and (known.fingerprint == fingerprint or not update):
            return known.internal_id
        if not update:  # a retry record: use the customer as it is, create it only when missing
            existing = run(
                lambda: self._store.get(customer.record_type, external_id=customer.external_id, fields=["id"])
            )
            if existing is not None and existing.get("id"):
                return str(existing["id"])
        internal_id = run(
            lambda: self._store.upsert(
                customer.record_type, customer.external_id, customer.body, replace=("addressBook",)
            )
        )
        self.memory.customers.put(customer.external_id, WrittenCustomer(internal_id, fingerprint))
        return internal_id

    def _held_version(self, external_id: str, run: CallRunner) -> str | None:
        """The version NetSuite holds for this sales order (None when it has none)."""
        field = self._policy.version_field
        existing = run(lambda: self._store.get("salesOrder", external_id=external_id, fields=[field]))
        if existing is None:
            return None
        value = existing.get(field)
        return str(value) if value else None


def _observe_latency(event: OrderEvent) -> None:
    now = time.time()
    if event.received_at_ms:
        metrics.END_TO_END.observe(max(0.0, now - event.received_at_ms / 1000))
    created = event.order.date_created_gmt
    if created:
        created_at = datetime.fromisoformat(created[:19]).replace(tzinfo=UTC).timestamp()
        metrics.ORDER_AGE_AT_WRITE.observe(max(0.0, now - created_at))
