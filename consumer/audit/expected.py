"""What NetSuite should hold for one WooCommerce order, derived with the consumer's own mapping.

| the WooCommerce order                       | audited?                                            |
|---------------------------------------------|-----------------------------------------------------|
| paid (`processing`, `completed`, `refunded`, | yes: one sales order `WOO_ORDER_<id>`, for the     |
| or `date_paid_gmt`), not cancelled          | order's customer key, with the mapping's lines and  |
|                                             | the total (refunds are records of their own)        |
| unpaid (`pending`, `on-hold`, `failed`, ...) | no: the consumer waits for payment                 |
| cancelled, and it had been paid             | yes: its sales order, if any, has no open line      |
| trashed                                     | no: left as NetSuite has it                         |
| paid but not mappable (inconsistent totals) | yes: it is dead-lettered, so "missing" says why     |

The line count comes from the consumer's own mapping (`consumer.netsuite.records.map_sales_order`)
with any SKU accepted: whether a SKU has a NetSuite item is NetSuite's question, and an unknown one
shows as "missing". The total compared is NetSuite's `foreigntotal` against `total` (tax modes
`suitetax` and `line`: WooCommerce's tax is booked), or the item lines' sum against
`total - total_tax` (tax mode `netsuite`: NetSuite adds its own tax, whose variance is recorded).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from consumer.errors import Unmappable
from consumer.netsuite.external_ids import customer_external_id, sales_order_external_id
from consumer.netsuite.money import parse_money
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.records import map_sales_order
from schemas.order import WooOrder


class _AnySku(Mapping[str, str]):
    """Every SKU resolves (to a placeholder): the count of lines does not depend on item ids."""

    def __getitem__(self, key: str) -> str:
        return "0"

    def get(self, key: str, default: object = None) -> str:
        return "0"

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True)
class Expected:
    order_id: int
    number: str
    external_id: str
    customer: str | None  # None when the order has no customer key (it cannot be written)
    lines: int | None  # None when the order cannot be mapped
    total: Decimal  # compared with NetSuite's foreigntotal, or its line sum (netsuite mode)
    currency: str
    compare_line_sum: bool  # tax mode netsuite: compare the item lines' sum, not foreigntotal
    unmappable: str | None = None  # why the consumer dead-letters it
    cancelled: bool = False  # its sales order, if any, must have every line closed


def judged(order: WooOrder) -> bool:
    """Paid orders must be in NetSuite; cancelled ones that were paid must not be open there (an
    abandoned checkout, cancelled unpaid, was never written: not worth a query)."""
    if order.status == "cancelled":
        return order.date_paid_gmt is not None
    return order.is_paid and order.status != "trash"


def expected(order: WooOrder, policy: MappingPolicy) -> Expected:
    problem: str | None = None
    try:
        customer: str | None = customer_external_id(order, policy.store_code)
    except Unmappable as exc:
        customer, problem = None, str(exc)
    lines: int | None = None
    try:
        record = map_sales_order(order, customer_id="0", item_ids=_AnySku(), policy=policy)
        lines = len(record.body["item"]["items"])
    except Unmappable as exc:
        problem = problem or str(exc)
    try:
        total = parse_money(order.total, order.currency, field="total")
        tax = parse_money(order.total_tax, order.currency, field="total_tax")
    except Unmappable as exc:
        total, tax, problem = Decimal(0), Decimal(0), problem or str(exc)
    netsuite_tax = policy.tax_mode == "netsuite"
    return Expected(
        order_id=order.id,
        number=order.order_number,
        external_id=sales_order_external_id(order, policy.store_code),
        customer=customer,
        lines=lines,
        total=total - tax if netsuite_tax else total,
        currency=order.currency,
        compare_line_sum=netsuite_tax,
        unmappable=None if order.status == "cancelled" else problem,
        cancelled=order.status == "cancelled",
    )
