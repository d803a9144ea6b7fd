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
| each refund       | money returned, not booked                                  | 1 (+1 GET, **)    |

(*) A deposit names its sales order by internal id: read when the order was not written in this pass.
(**) With payments on, which record a refund becomes depends on the order's deposit
(`consumer.pipeline.refund_route`): read once per pass, unless the deposit was written in it.

They are written after the sales order (their customer exists, a deposit names the order), the
payment before the refunds; an order with nothing new costs no call for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from consumer.errors import Rejected
from consumer.netsuite.booking_metrics import MONEY_BOOKED
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.external_ids import payment_external_id, refund_external_id, sales_order_external_id
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.payments import deposit_due, map_deposit
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.refund_lines import Itemised, detailed_skus
from consumer.netsuite.refunds import map_deposit_refund, map_refund, refund_amount
from consumer.pipeline.lookups import resolve_items
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.ports import CallRunner, ItemLookup, RecordStore
from consumer.pipeline.refund_route import deposit_to_refund, refunded_in_full
from consumer.pipeline.versions import OrderMemory
from consumer.woocommerce.refunds import RefundLookup
from schemas.order import Refund, WooOrder


@dataclass(frozen=True)
class Due:
    """What of the order's money NetSuite still lacks: its payment, and refunds (oldest first)."""

    payment: bool
    refunds: list[Refund]

    def __bool__(self) -> bool:
        return self.payment or bool(self.refunds)


def due(
    order: WooOrder,
    policy: MappingPolicy,
    known: OrderMemory | None,
    *,
    currency: CurrencyRef,
) -> Due:
    """`known` None when memory is not consulted (retries, repairs): everything is due again."""
    payment_id = mapped(lambda: payment_external_id(order, policy.store_code))
    payment = mapped(lambda: deposit_due(order, policy, currency)) and not _booked(payment_id, known)
    refunds = [
        r
        for r in reversed(order.refunds)  # WooCommerce lists them newest first
        if mapped(partial(refund_amount, r, currency.places)) > 0
        and not _booked(refund_external_id(r.id, policy.store_code), known)
    ]
    return Due(payment, refunds)


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
    itemiser: Itemiser | None = None,
) -> frozenset[str]:
    """Upsert the payment, then each refund; returns the external ids now booked. `sales_order_id`
    None: the sales order was not written in this pass, its internal id is read when needed.
    `itemiser`: where a credit's per-line detail comes from (None: no WooCommerce API)."""
    written: list[str] = []
    deposit_id = None
    if money.payment:
        so_id = sales_order_id or _sales_order_id(store, order, policy, run)
        deposit = mapped(
            lambda: map_deposit(
                order, customer_id=customer_id, sales_order_id=so_id, policy=policy, currency=currency
            )
        )
        deposit_id = _upsert(store, deposit, run)  # just written: not applied to any invoice yet
        written.append(deposit.external_id)
    if money.refunds:
        target = None
        if policy.payment_records and _whole(order, money, currency.places):
            target = deposit_id or deposit_to_refund(store, order, policy, run)
        itemised = itemiser.detail(order, run) if itemiser is not None and target is None else {}
        for refund in money.refunds:
            found = itemised.get(refund.id)
            record = mapped(partial(_refund, order, refund, customer_id, target, policy, currency, found))
            _upsert(store, record, run)
            written.append(record.external_id)
    return frozenset(written)


def _refund(
    order: WooOrder,
    refund: Refund,
    customer_id: str,
    deposit_id: str | None,
    policy: MappingPolicy,
    currency: CurrencyRef,
    itemised: Itemised | None,
) -> MappedRecord:
    if deposit_id is None:
        return map_refund(
            order, refund, customer_id=customer_id, policy=policy, currency=currency, itemised=itemised
        )
    return map_deposit_refund(
        order, refund, customer_id=customer_id, deposit_id=deposit_id, policy=policy, currency=currency
    )


@dataclass(frozen=True)
class Itemiser:
    """The refunds' per-line detail from WooCommerce, with their SKUs' item ids."""

    lookup: RefundLookup
    items: ItemLookup

    def detail(self, order: WooOrder, run: CallRunner) -> dict[int, Itemised]:
        """Refund id → its detail; empty when the shop did not answer (booked without detail)."""
        found = self.lookup.details(order.id) or {}
        out = {}
        for refund_id, detail in found.items():
            skus = mapped(partial(detailed_skus, order, detail))
            out[refund_id] = Itemised(detail, resolve_items(self.items, skus, run, recheck=False))
        return out


def _upsert(store: RecordStore, record: MappedRecord, run: CallRunner) -> str:
    internal_id = run(
        partial(store.upsert, record.record_type, record.external_id, record.body, replace=("item",))
    )
    MONEY_BOOKED.labels(record.record_type).inc()
    return internal_id


def _whole(order: WooOrder, money: Due, places: int) -> bool:
    """Refunded in full, and every refund is booked in this pass (none before, as a credit)."""
    with_money = [r for r in order.refunds if refund_amount(r, places) > 0]
    return len(money.refunds) == len(with_money) and mapped(partial(refunded_in_full, order, places))


def _booked(external_id: str, known: OrderMemory | None) -> bool:
    return known is not None and external_id in known.booked


def _sales_order_id(store: RecordStore, order: WooOrder, policy: MappingPolicy, run: CallRunner) -> str:
    external_id = mapped(lambda: sales_order_external_id(order, policy.store_code))
    held = run(lambda: store.get("salesOrder", external_id=external_id, fields=["id"]))
    if held is None:
        raise Rejected(f"sales order {external_id} is gone from NetSuite: repair it (audit --repair)")
    return str(held["id"])
