"""Records written once per WooCommerce event: an order's payment and each of its refunds.

A payment (Customer Deposit `WOO_PAY_<order id>`) and a refund (`WOO_REFUND_<refund id>`) record
money that moved once; WooCommerce never changes them afterwards (a refund can only be deleted). So
what the group's memory says was booked is not written again: an order that changes later costs no
call for them, and each keeps the date and amount it was first written with. Records from a retry
topic or a repair do not trust the memory (NetSuite may have been changed behind the group's back)
and upsert them again — harmless: `PUT …/eid:<id>?replace=item` leaves one record with its lines.

| record            | due when                                                    | calls             |
|-------------------|-------------------------------------------------------------|-------------------|
| payment (deposit) | `NETSUITE_PAYMENT_RECORDS` on, paid, total > 0, not booked  | 1 (+1 GET, *)     |
| each refund       | money returned, not booked                                  | 1                 |

(*) A deposit names its sales order by internal id: read when the order was not written in this pass.

They are written after the sales order (their customer exists, a deposit names the order), the
payment before the refunds; an order with nothing new costs no call for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from consumer.errors import Rejected
from consumer.netsuite.booking_metrics import MONEY_BOOKED
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.external_ids import payment_external_id, sales_order_external_id
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.payments import deposit_due, map_deposit
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.refunds import map_refunds
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.ports import CallRunner, RecordStore
from consumer.pipeline.versions import OrderMemory
from schemas.order import WooOrder


@dataclass(frozen=True)
class Due:
    """What of the order's money NetSuite still lacks: the payment, and refunds mapped already."""

    payment: bool
    refunds: list[MappedRecord]

    def __bool__(self) -> bool:
        return self.payment or bool(self.refunds)


def due(
    order: WooOrder,
    policy: MappingPolicy,
    known: OrderMemory | None,
    *,
    customer_id: str,
    currency: CurrencyRef,
) -> Due:
    """`known` None when memory is not consulted (retries, repairs): everything is due again."""
    refunds = mapped(lambda: map_refunds(order, customer_id=customer_id, policy=policy, currency=currency))
    payment_id = payment_external_id(order, policy.store_code)
    payment = deposit_due(order, policy, currency) and not _booked(payment_id, known)
    return Due(payment, [r for r in refunds if not _booked(r.external_id, known)])


def book(
    store: RecordStore,
    order: WooOrder,
    money: Due,
    *,
    customer_id: str,
    currency: CurrencyRef,
    policy: MappingPolicy,
    sales_order_id: str | None,
    run: CallRunner,
) -> frozenset[str]:
    """Upsert the payment, then each refund; returns the external ids now booked. `sales_order_id`
    None: the sales order was not written in this pass, its internal id is read when needed."""
    records = list(money.refunds)
    if money.payment:
        so_id = sales_order_id or _sales_order_id(store, order, policy, run)
        deposit = mapped(
            lambda: map_deposit(
                order, customer_id=customer_id, sales_order_id=so_id, policy=policy, currency=currency
            )
        )
        records.insert(0, deposit)
    for record in records:
        run(partial(store.upsert, record.record_type, record.external_id, record.body, replace=("item",)))
        MONEY_BOOKED.labels(record.record_type).inc()
    return frozenset(record.external_id for record in records)


def _booked(external_id: str, known: OrderMemory | None) -> bool:
    return known is not None and external_id in known.booked


def _sales_order_id(store: RecordStore, order: WooOrder, policy: MappingPolicy, run: CallRunner) -> str:
    external_id = mapped(lambda: sales_order_external_id(order, policy.store_code))
    held = run(lambda: store.get("salesOrder", external_id=external_id, fields=["id"]))
    if held is None:
        raise Rejected(f"sales order {external_id} is gone from NetSuite: repair it (audit --repair)")
    return str(held["id"])
