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

import logging
from dataclasses import dataclass
from functools import partial

from consumer.errors import Rejected, Unmappable
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
from consumer.pipeline.refund_route import HeldMoney, deposit_to_refund, held
from consumer.pipeline.versions import OrderMemory
from consumer.woocommerce.refunds import RefundLookup
from schemas.order import Refund, WooOrder

log = logging.getLogger(__name__)
#: Sublists a repeated create must replace, not append to (a credit's lines and tax details).
SUBLISTS = {"creditMemo": ("item", "taxDetails"), "cashRefund": ("item", "taxDetails")}


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
        if mapped(partial(refund_amount, order, r, currency.places)) > 0
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
    new_order: bool = False,
) -> frozenset[str]:
    """Write the payment, then each refund, none NetSuite holds already; returns the external ids now
    booked (written, or found). `sales_order_id` None: the sales order was not written in this pass
    (its internal id is read when a deposit needs it). `new_order`: the sales order was created in
    this pass, so no payment of it can exist yet (the payment is then written without asking)."""
    payment_id = payment_external_id(order, policy.store_code)
    refund_ids = {r.id: refund_external_id(r.id, policy.store_code) for r in money.refunds}
    asked = [*refund_ids.values()]
    if policy.payment_records and (money.refunds or not new_order):
        asked.append(payment_id)  # its status routes a full refund; or it may exist (a retry)
    found = held(store, asked, run) if money.refunds or (money.payment and not new_order) else {}
    done = {eid for eid in found if eid in asked and (eid != payment_id or money.payment)}
    deposit = found.get(payment_id)
    if money.payment and deposit is None:
        so_id = sales_order_id or _sales_order_id(store, order, policy, run)
        ids = {"customer_id": customer_id, "sales_order_id": so_id}
        record = mapped(partial(map_deposit, order, **ids, policy=policy, currency=currency))
        deposit = HeldMoney(_upsert(store, record, run), "CustDep", "A")  # not applied to any invoice yet
        done.add(payment_id)
    new = [r for r in money.refunds if refund_ids[r.id] not in found]
    targets = {r.id: deposit_to_refund(order, r, policy, currency.places, deposit) for r in new}
    credits = [r for r in new if targets[r.id] is None]
    details = itemiser.detail(order, credits, run) if itemiser is not None and credits else {}
    for refund in new:
        target = targets[refund.id]
        record = mapped(
            partial(_refund, order, refund, customer_id, target, policy, currency, details.get(refund.id))
        )
        _upsert(store, record, run)
        done.add(record.external_id)
    return frozenset(done)


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

    def detail(self, order: WooOrder, refunds: list[Refund], run: CallRunner) -> dict[int, Itemised]:
        """Refund id → its detail, for these refunds; a refund whose detail is missing, or names a SKU
        NetSuite does not know (a product deleted since), is booked without it (logged)."""
        found = self.lookup.details(order.id) or {}
        out = {}
        for refund in refunds:
            detail = found.get(refund.id)
            if detail is None:
                continue
            try:
                skus = detailed_skus(order, detail)
                out[refund.id] = Itemised(detail, resolve_items(self.items, skus, run, recheck=False))
            except Unmappable as exc:
                log.warning("order %s: refund %s booked without its detail: %s", order.id, refund.id, exc)
        return out


def _upsert(store: RecordStore, record: MappedRecord, run: CallRunner) -> str:
    """Create it (by external id: a lost answer and its retry still make one record)."""
    replace = SUBLISTS.get(record.record_type, ())
    internal_id = run(
        partial(store.upsert, record.record_type, record.external_id, record.body, replace=replace)
    )
    for warning in record.warnings:
        log.warning("%s: %s", record.external_id, warning)
    MONEY_BOOKED.labels(record.record_type).inc()
    return internal_id


def _booked(external_id: str, known: OrderMemory | None) -> bool:
    return known is not None and external_id in known.booked


def _sales_order_id(store: RecordStore, order: WooOrder, policy: MappingPolicy, run: CallRunner) -> str:
    external_id = mapped(lambda: sales_order_external_id(order, policy.store_code))
    held = run(lambda: store.get("salesOrder", external_id=external_id, fields=["id"]))
    if held is None:
        raise Rejected(f"sales order {external_id} is gone from NetSuite: repair it (audit --repair)")
    return str(held["id"])
