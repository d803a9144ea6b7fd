"""The customer of an order: its internal id, written first when this order's data should win.

What is known of the customer comes from the member's memory, or from NetSuite when memory cannot
tell (a retry record never trusts memory; "not remembered" proves nothing: memory forgets, by
eviction or retention). Which version wins is `consumer.pipeline.versions`' customer table; two
settings decide whether an order may touch the customer at all:

| NETSUITE_CUSTOMER_UPDATE | known customer                      | unknown customer                       |
|--------------------------|-------------------------------------|----------------------------------------|
| `changed` (default)      | written when the order's data changed | created (upsert by externalId)       |
| `never`                  | used as NetSuite has it: no call    | read by externalId; created if absent  |

With `NETSUITE_CUSTOMER_MATCH_EMAIL=true` (Celigo's default), a customer unknown under our
externalId is first looked for by email among active customers that have no externalId (made by
hand or imported; one with another integration's id is never taken over): the first such customer
(lowest internal id) gets our externalId, and is then treated as known. Writes of one customer are
serialised within the member (`KeyedLocks`); across members NetSuite's DUP_ENTITY /
RCRD_HAS_BEEN_CHANGED answers are retried (`TryAgain`), so two orders of one new customer both land.
"""

from __future__ import annotations

from consumer.netsuite.booking_metrics import CUSTOMER_EMAIL_MATCHES
from consumer.netsuite.contact import valid_email
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.customers import map_customer
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.policy import MappingPolicy, WriterPolicy
from consumer.pipeline.lease import Lease
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.memory import KeyedLocks, WriteMemory
from consumer.pipeline.ports import CallRunner, RecordStore
from consumer.pipeline.versions import CustomerMemory, Decision, Placed, customer_decision
from schemas.order import WooOrder


class CustomerWriter:
    def __init__(
        self, store: RecordStore, memory: WriteMemory, mapping: MappingPolicy, policy: WriterPolicy
    ) -> None:
        self._store = store
        self._memory = memory
        self._mapping = mapping
        self._policy = policy
        self._locks = KeyedLocks()

    def resolve(
        self,
        order: WooOrder,
        currency: CurrencyRef,
        run: CallRunner,
        lease: Lease,
        *,
        from_retry: bool,
        read_first: bool,
    ) -> str:
        customer = mapped(lambda: map_customer(order, self._mapping, currency))
        with self._locks.hold(customer.external_id):
            return self._locked(customer, Placed.of(order), order, run, lease, from_retry, read_first)

    def _locked(
        self,
        customer: MappedRecord,
        placed: Placed,
        order: WooOrder,
        run: CallRunner,
        lease: Lease,
        from_retry: bool,
        read_first: bool,
    ) -> str:
        eid = customer.external_id
        never = self._policy.customer_update == "never"
        known = None if from_retry else self._memory.customer(eid)
        if known is None and (read_first or never or self._policy.match_email):
            known = self._held(eid, run)
        if known is None and self._policy.match_email:
            known = self._match(eid, order, run)
        if known is not None and never:
            self._remember(lease, eid, known)
            return known.internal_id
        if customer_decision(known, placed, customer.fingerprint) is Decision.USE_AS_IS:
            assert known is not None
            return known.internal_id
        internal_id = run(
            lambda: self._store.upsert(customer.record_type, eid, customer.body, replace=("addressBook",))
        )
        self._remember(lease, eid, CustomerMemory(internal_id, placed, customer.fingerprint))
        return internal_id

    def _remember(self, lease: Lease, external_id: str, known: CustomerMemory) -> None:
        with lease.call():  # a revoked record must not update memory the revoke just cleared
            self._memory.remember_customer(external_id, known)

    def _held(self, external_id: str, run: CallRunner) -> CustomerMemory | None:
        field = self._mapping.customer_version_field
        held = run(lambda: self._store.get("customer", external_id=external_id, fields=["id", field]))
        if held is None or not held.get("id"):
            return None
        return CustomerMemory(str(held["id"]), Placed.parse(held.get(field)))

    def _match(self, external_id: str, order: WooOrder, run: CallRunner) -> CustomerMemory | None:
        """An active customer with the order's email and no externalId, linked to ours."""
        email = order.billing.email.strip().lower()
        if not email or not valid_email(email):
            return None
        query = (
            "SELECT id FROM customer WHERE isinactive = 'F' AND externalid IS NULL "  # noqa: S608
            f"AND LOWER(email) = '{email.replace(chr(39), chr(39) * 2)}' ORDER BY id"
        )
        row = run(lambda: next(iter(self._store.suiteql(query)), None))  # the first row only
        if row is None or row.get("id") is None:
            return None
        internal_id = str(row["id"])
        run(lambda: self._store.update("customer", internal_id, {"externalId": external_id}))
        CUSTOMER_EMAIL_MATCHES.inc()
        return CustomerMemory(internal_id, None)
