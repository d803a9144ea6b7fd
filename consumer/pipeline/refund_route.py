"""What NetSuite already holds of an order's money, and which record each refund becomes.

Money records are written once and never re-typed: before booking, one SuiteQL query asks which of
them NetSuite holds (`held`), so a refund booked earlier — by a member whose memory is gone, before a
retry, a rebalance or a repair — is not written again, under its type or another (transactions
share one external-id space: Oracle, "Shared Internal and External IDs", section_N3436356).

Each new refund is routed on facts fixed when it was made, so any order of delivery ends the same:

| payments | alone in full (1) | the order's deposit `WOO_PAY_<id>`  | booked as                    |
|----------|-------------------|-------------------------------------|------------------------------|
| off      | —                 | (not asked)                         | `NETSUITE_REFUND_RECORD`     |
| on       | no                | —                                   | `NETSUITE_REFUND_RECORD`     |
| on       | yes               | none, or not `A`/`B` (applied)      | `NETSUITE_REFUND_RECORD`     |
| on       | yes               | status `A` or `B` (not applied)     | `customerRefund` of it       |

(1) This refund's amount as booked is the order's whole total (a partial refund's is not); booked
amounts are rounded as a running total of the order's refunds (`refunds.refund_amount`).
The contract books each refund as `NETSUITE_REFUND_RECORD` (a Credit Memo or Cash Refund); the last
row is issue 12's "a full refund of a deposit-only order": its money sits in the Customer Deposit,
reserved for the unbilled order, and giving it all back is a Customer Refund applying that deposit
(a credit memo would leave the customer both the freed deposit and the credit). Once the order is
billed NetSuite applies the deposit to the invoice and the refund is the configured credit again.
Deposit statuses are SuiteQL's `CustDep:A` Not Deposited, `B` Deposited, `C` Fully Applied; any other
answer is taken as applied (a credit, never a refund NetSuite would refuse). Unconfirmed: the Customer
Refund body (`deposit` lines `{doc, apply, amount}`; "Customer Refund", article_0830082954).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from consumer.netsuite.money import exact, to_places
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.refunds import refund_amount
from consumer.pipeline.ports import CallRunner, RecordStore
from schemas.order import Refund, WooOrder

UNAPPLIED = ("A", "B")


@dataclass(frozen=True)
class HeldMoney:
    """A money record NetSuite holds: its internal id, SuiteQL type (CustDep, CustCred, ...) and status."""

    internal_id: str
    type: str
    status: str


def held(store: RecordStore, external_ids: Iterable[str], run: CallRunner) -> dict[str, HeldMoney]:
    """External id → what NetSuite holds under it (one SuiteQL query; ids are ours: letters, digits, _)."""
    wanted = sorted(set(external_ids))
    if not wanted:
        return {}
    listed = ", ".join(f"'{eid}'" for eid in wanted)
    query = f"SELECT id, externalid, type, status FROM transaction WHERE externalid IN ({listed})"  # noqa: S608
    rows = run(lambda: list(store.suiteql(query)))
    return {
        str(r.get("externalid")): HeldMoney(
            str(r.get("id")), str(r.get("type") or ""), str(r.get("status") or "")
        )
        for r in rows
    }


def deposit_to_refund(
    order: WooOrder, refund: Refund, policy: MappingPolicy, places: int, deposit: HeldMoney | None
) -> str | None:
    """The internal id of the deposit this refund gives back (the table's last row), or None."""
    if not policy.payment_records or deposit is None or deposit.status not in UNAPPLIED:
        return None
    whole = to_places(exact(order.total, field="total"), places)
    return deposit.internal_id if refund_amount(order, refund, places) >= whole > 0 else None
