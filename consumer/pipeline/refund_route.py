"""Which record a refund becomes: a credit, or a refund of the order's deposit.

With payments booked (`NETSUITE_PAYMENT_RECORDS`), the money a customer paid sits in the order's
Customer Deposit until NetSuite bills the order and applies the deposit to the invoice. A refund
before that returns the deposit itself: a Customer Refund applying it. A Credit Memo then would leave
the customer both the unapplied deposit and the credit — twice the money given back on their
account (the deposit stays reserved for the order only until it is closed or billed). After billing
the deposit is spent on the invoice, and the refund is a credit as configured.

| payments | the order's deposit `WOO_PAY_<id>` in NetSuite       | the refund is booked as          |
|----------|--------------------------------------------------------|----------------------------------|
| off      | (not read)                                             | `NETSUITE_REFUND_RECORD`         |
| on       | none (the order was paid before payments were on)      | `NETSUITE_REFUND_RECORD`         |
| on       | applied in full (status C: the order was billed)       | `NETSUITE_REFUND_RECORD`         |
| on       | not applied in full (status A or B)                    | `customerRefund` of the deposit  |

("payments": `NETSUITE_PAYMENT_RECORDS`.)
One GET of the deposit (its internal id and status) per pass that books refunds, with payments on.
Statuses are SuiteQL's `CustDep:A` Not Deposited, `B` Deposited, `C` Fully Applied; REST's shape of
`status` (`{"id": "C"}`) is *unconfirmed*, as is the Customer Refund body (`deposit` sublist lines
`{doc, apply, amount}`; Oracle, "Customer Refund", article_0830082954, which also says GET returns
that sublist empty). A refund larger than what remains of the deposit is refused by NetSuite and
dead-lettered with its reason, for a person to split.
"""

from __future__ import annotations

from consumer.netsuite.external_ids import payment_external_id
from consumer.netsuite.policy import MappingPolicy
from consumer.pipeline.mapping_guard import mapped
from consumer.pipeline.ports import CallRunner, RecordStore
from schemas.order import WooOrder

FULLY_APPLIED = "C"


def deposit_to_refund(
    store: RecordStore, order: WooOrder, policy: MappingPolicy, run: CallRunner
) -> str | None:
    """The internal id of the deposit a refund returns, or None: book the configured credit."""
    if not policy.payment_records:
        return None
    external_id = mapped(lambda: payment_external_id(order, policy.store_code))
    held = run(lambda: store.get("customerDeposit", external_id=external_id, fields=["id", "status"]))
    if held is None:
        return None
    status = held.get("status")
    code = status.get("id") if isinstance(status, dict) else status
    return None if code == FULLY_APPLIED else str(held["id"])
