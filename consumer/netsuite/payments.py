"""The pure mapping of a paid order's payment → one NetSuite Customer Deposit against its sales order.

Finance matches payment-provider payouts against deposits: the money the shop holds for an order not
yet invoiced. When NetSuite bills the order, the deposit is applied to the invoice (Deposit
Application). On by default (`NETSUITE_PAYMENT_RECORDS`); one per order, `WOO_PAY_<order id>`.

| field           | value                                                                           |
|-----------------|---------------------------------------------------------------------------------|
| `customer`      | the order's customer (the sales order's: NetSuite refuses another's order)      |
| `salesOrder`    | the sales order's internal id                                                   |
| `payment`       | the order's `total`, in the currency's precision                                |
| `currency`      | the order's currency (the sales order's), by internal id                        |
| `tranDate`      | the shop-local date of `date_paid_gmt` (else of the order's creation)           |
| `paymentOption` | `NETSUITE_PAYMENT_METHOD_MAP[payment_method]`, else its `default`; else not sent |
| `account`       | `NETSUITE_DEPOSIT_ACCOUNT_ID` when set, else the account's default (Undeposited Funds) |
| `memo`          | "WooCommerce payment of order #<number>", the method's title and the transaction id |

Field names: REST record `customerDeposit` (Oracle, "Customer Deposit", article_0830072110: its sample
posts `customer`, `currency`, `payment`, `paymentOption`); there is no `paymentMethod` field on it —
whether a `paymentOption` id equals the payment method's internal id is *unconfirmed*. A sales order
of another customer is refused (section_N3667158). An order of zero total has no payment to book.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.external_ids import payment_external_id
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.money import exact, to_json_number, to_places
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.products import plain_text
from consumer.netsuite.shop_dates import shop_date
from schemas.order import WooOrder

MEMO_LIMIT = 4000


def deposit_due(order: WooOrder, policy: MappingPolicy, currency: CurrencyRef) -> bool:
    """Whether this order's payment is booked at all: paid, and something to the currency's unit."""
    paid = order.date_paid_gmt or order.date_created_gmt or ""
    if policy.payment_records_since and paid[:19] < policy.payment_records_since:
        return False  # paid before payment records were on: its payment may be booked already
    return policy.payment_records and order.is_paid and _amount(order, currency) > 0


def _amount(order: WooOrder, currency: CurrencyRef) -> Decimal:
    return to_places(exact(order.total, field="total"), currency.places)


def map_deposit(
    order: WooOrder, *, customer_id: str, sales_order_id: str, policy: MappingPolicy, currency: CurrencyRef
) -> MappedRecord:
    warnings: list[str] = []
    external_id = payment_external_id(order, policy.store_code)
    amount = _amount(order, currency)
    body: dict[str, Any] = {
        "externalId": external_id,
        "customer": {"id": customer_id},
        "salesOrder": {"id": sales_order_id},
        "payment": to_json_number(amount, field="total"),
        "memo": _memo(order),
    }
    paid = order.date_paid_gmt or order.date_created_gmt
    if paid:  # else NetSuite dates it today
        body["tranDate"] = shop_date(paid, order, warnings)
    if currency.id is not None:
        body["currency"] = {"id": currency.id}
    option = policy.payment_option(order.payment_method.strip())
    if option:
        body["paymentOption"] = {"id": option}
    if policy.deposit_account_id:
        body["account"] = {"id": policy.deposit_account_id}
    body |= policy.dimensions()
    return MappedRecord("customerDeposit", external_id, body, tuple(warnings))


def _memo(order: WooOrder) -> str:
    parts = [f"WooCommerce payment of order #{order.order_number}"]
    method = plain_text(order.payment_method_title) or order.payment_method.strip()
    if method:
        parts.append(f"Payment: {method}")
    if order.transaction_id.strip():
        parts.append(f"Transaction: {order.transaction_id.strip()}")
    return "\n".join(parts)[:MEMO_LIMIT]
