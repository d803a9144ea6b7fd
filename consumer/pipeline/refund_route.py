"""Which record a refund becomes: the configured credit, or a refund of the order's deposit.

The contract books each refund as `NETSUITE_REFUND_RECORD` (a Credit Memo, or a Cash Refund). One
case is different: an order paid with a deposit (`NETSUITE_PAYMENT_RECORDS`), never billed, and
refunded in full. Its money sits in the Customer Deposit, reserved for the order until it is billed
or closed; giving it all back is a Customer Refund applying that deposit. A Credit Memo there would
leave the customer both the freed deposit and the credit — twice the money on their account. After
billing the deposit is spent on the invoice, and the refund is the configured credit again.

| payments | whole (1) | the order's deposit `WOO_PAY_<id>`        | booked as                    |
|----------|-----------|-------------------------------------------|------------------------------|
| off      | —         | (not read)                                | `NETSUITE_REFUND_RECORD`     |
| on       | no        | (not read)                                | `NETSUITE_REFUND_RECORD`     |
| on       | yes       | none, or applied in full (billed)         | `NETSUITE_REFUND_RECORD`     |
| on       | yes       | not applied in full (status A or B)       | `customerRefund` of it       |

(1) The order's refunds reach its total, and every one of them is booked in this pass (none was
booked before as a credit: a partial refund, or one completing earlier partial ones, is a credit).
"payments": `NETSUITE_PAYMENT_RECORDS`. One GET of the deposit (its internal id and status) when the
last two rows may apply — none when the deposit was written in the same pass. Statuses are SuiteQL's
`CustDep:A` Not Deposited, `B` Deposited, `C` Fully Applied; REST's shape of `status`
(`{"id": "C"}`) is *unconfirmed*, as is the Customer Refund body (`deposit` sublist lines
`{doc, apply, amount}`; Oracle, "Customer Refund", article_0830082954, which also says GET returns
that sublist empty).
"""

from __future__ import annotations

from decimal import Decimal

from consumer.netsuite.external_ids import payment_external_id
from consumer.netsuite.money import exact, to_places
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.refunds import refund_amount
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.ports import CallRunner, RecordStore
from schemas.order import WooOrder

FULLY_APPLIED = "C"


def refunded_in_full(order: WooOrder, places: int) -> bool:
    """The order's refunds give back its whole total."""
    returned = sum((refund_amount(r, places) for r in order.refunds), Decimal(0))
    return returned > 0 and returned >= to_places(exact(order.total, field="total"), places)


def deposit_to_refund(
    store: RecordStore, order: WooOrder, policy: MappingPolicy, run: CallRunner
) -> str | None:
    """The internal id of the deposit the order's refunds return, or None: book the configured
    credit. Asked only for the third and fourth rows (the caller knows the first two)."""
    if not policy.payment_records:
        return None
    external_id = mapped(lambda: payment_external_id(order, policy.store_code))
    held = run(lambda: store.get("customerDeposit", external_id=external_id, fields=["id", "status"]))
    if held is None:
        return None
    status = held.get("status")
    code = status.get("id") if isinstance(status, dict) else status
    return None if code == FULLY_APPLIED else str(held["id"])
