"""The pure mapping of one WooCommerce refund → one NetSuite Credit Memo, Cash Refund, or Customer
Refund of the order's deposit (which one: `consumer.pipeline.refund_route`).

A WooCommerce order lists its refunds as `{"id", "reason", "total": "-10.00"}` (newest first). Each
becomes one record, `externalId` `WOO_REFUND_<refund id>`, upserted like the sales order: however
often the order arrives, one record per refund.

| field            | value                                                                        |
|------------------|------------------------------------------------------------------------------|
| record           | `NETSUITE_REFUND_RECORD`: `creditMemo` (default) or `cashRefund`              |
| `entity`         | the order's customer (the sales order's)                                      |
| `currency`       | the order's currency, by internal id                                          |
| `tranDate`       | the shop-local date of the order version that carried the refund (1)          |
| `otherRefNum`    | the order number; `memo` "WooCommerce refund #<id> of order #<number>" + reason |
| `item`, tax      | with the refund's detail (WooCommerce API): its lines and tax (`refund_lines`); |
|                  | without: one line on `NETSUITE_REFUND_ITEM_ID`, amount = the refund,          |
|                  | `taxDetailsOverride: true` and no details: booked as given back (2)           |
| `account`        | cash refunds only, `NETSUITE_REFUND_ACCOUNT_ID` when set (the bank account)   |

(1) With the detail: the refund's own `date_created`. The order payload carries no refund date;
`date_modified_gmt`, moved to the shop's day
(`shop_dates`), is when WooCommerce saved the refund.
A later change of the order would date it later, so a refund is written once, when first seen
(`consumer.pipeline.once`); only a retry or a repair upserts it again, with that record's date.
(2) Without per-line detail the tax share of a refund is unknown; booking it gross keeps NetSuite's
total equal to the money returned (the contract's "amount = the refund's total"). The item decides
the account; finance moves the tax part by journal if the shop refunds taxed goods this way.

Credit Memo body: Oracle, "Use Case for Creating a Credit Memo" (section_0404042133): `entity` and
`item.items[{item, amount}]`. Cash Refund: record `cashRefund`, `account` the bank account refunded
from (section_40160920714; records browser "cashrefund"). A zero refund (WooCommerce allows one to
restock without money) books nothing: NetSuite refuses a transaction without a valid line.

A Customer Refund of the deposit has no lines: `customer`, `account` (the bank account refunded from,
`NETSUITE_REFUND_ACCOUNT_ID`: mandatory on the record, SuiteScript records browser), `currency`,
`tranDate`, `memo`, and the deposit applied for the amount, `deposit.items[{doc, apply, amount}]`
(Oracle, "Customer Refund", article_0830082954; the body is *unconfirmed*).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from consumer.errors import Unmappable
from consumer.netsuite.currency import CurrencyRef
from consumer.netsuite.external_ids import refund_external_id
from consumer.netsuite.lines import required
from consumer.netsuite.mapped import MappedRecord
from consumer.netsuite.money import exact, to_json_number, to_places
from consumer.netsuite.policy import MappingPolicy
from consumer.netsuite.refund_lines import Itemised, refund_lines
from consumer.netsuite.shop_dates import shop_date
from schemas.order import Refund, WooOrder

REASON_LIMIT = 1000


def refund_amount(order: WooOrder, refund: Refund, places: int) -> Decimal:
    """What `refund` gave back, positive, in the currency's precision (WooCommerce lists it negative):
    the order's refunds up to it (by id, the order they were made in) rounded, less those before it
    rounded. Each rounded alone, two refunds of ¥500.50 would give back ¥1,002 of ¥1,001 paid; this
    way they are ¥501 and ¥500, and the sum of the records is the refunds' sum rounded once. An earlier
    refund deleted in WooCommerce before a later one is booked changes the later one's amount (the
    deleted one stays in NetSuite: README, "Not yet"); a booked record is never written again."""
    before = sum(
        (-exact(r.total, field=f"refund {r.id} total") for r in order.refunds if r.id < refund.id), Decimal(0)
    )
    given = -exact(refund.total, field=f"refund {refund.id} total")
    return to_places(before + given, places) - to_places(before, places)


def map_refund(
    order: WooOrder,
    refund: Refund,
    *,
    customer_id: str,
    policy: MappingPolicy,
    currency: CurrencyRef,
    itemised: Itemised | None = None,
) -> MappedRecord:
    """A Credit Memo or Cash Refund (`NETSUITE_REFUND_RECORD`): line by line with the refund's
    detail (`refund_lines`), else one line on the refund item."""
    amount, warnings, body = _common(order, refund, policy, currency)
    body |= {"entity": {"id": customer_id}, "otherRefNum": order.order_number[:45]}
    if itemised is not None:
        detail = itemised.detail
        body |= refund_lines(
            order,
            detail,
            amount=amount,
            item_ids=itemised.item_ids,
            policy=policy,
            places=currency.places,
            warnings=warnings,
        )
        if detail.date_created:  # the refund's own date, in the site's zone
            body["tranDate"] = detail.date_created[:10]
    else:
        item_id = required(policy.refund_item_id, "NETSUITE_REFUND_ITEM_ID", "a refund")
        line = {
            "item": {"id": item_id},
            "quantity": 1,
            "amount": to_json_number(amount, field=f"refund {refund.id}"),
            "description": f"Refund #{refund.id}",
        }
        body |= {"item": {"items": [line]}, "taxDetailsOverride": True}
    if policy.subsidiary_id:
        body["subsidiary"] = {"id": policy.subsidiary_id}
    if policy.refund_record == "cashRefund" and policy.refund_account_id:
        body["account"] = {"id": policy.refund_account_id}
    return MappedRecord(policy.refund_record, body["externalId"], body, tuple(warnings))


def map_deposit_refund(
    order: WooOrder,
    refund: Refund,
    *,
    customer_id: str,
    deposit_id: str,
    policy: MappingPolicy,
    currency: CurrencyRef,
) -> MappedRecord:
    """A Customer Refund giving back part (or all) of the order's deposit."""
    amount, warnings, body = _common(order, refund, policy, currency)
    account = required(policy.refund_account_id, "NETSUITE_REFUND_ACCOUNT_ID", "a refund of its deposit")
    body |= {
        "customer": {"id": customer_id},
        "account": {"id": account},
        "deposit": {
            "items": [
                {"doc": {"id": deposit_id}, "apply": True, "amount": to_json_number(amount, field="refund")}
            ]
        },
    }
    option = policy.payment_option(order.payment_method.strip())
    if option:
        body["paymentOption"] = {"id": option}
    return MappedRecord("customerRefund", body["externalId"], body, tuple(warnings))


def _common(
    order: WooOrder, refund: Refund, policy: MappingPolicy, currency: CurrencyRef
) -> tuple[Decimal, list[str], dict[str, Any]]:
    """The amount, warnings and the fields every refund record has."""
    if refund.id <= 0:
        raise Unmappable(f"order {order.id}: a refund without an id (no externalId for it)")
    amount = refund_amount(order, refund, currency.places)
    if amount <= 0:
        raise Unmappable(f"order {order.id}: refund {refund.id} returns no money ({refund.total})")
    warnings: list[str] = []
    reason = refund.reason.strip()
    if len(reason) > REASON_LIMIT:
        reason = reason[:REASON_LIMIT]
        warnings.append(f"refund {refund.id}: reason over {REASON_LIMIT} characters, cut in the memo")
    memo = f"WooCommerce refund #{refund.id} of order #{order.order_number}"
    body: dict[str, Any] = {
        "externalId": refund_external_id(refund.id, policy.store_code),
        "tranDate": shop_date(_version(order), order, warnings),
        "memo": f"{memo}\nReason: {reason}" if reason else memo,
    }
    if currency.id is not None:
        body["currency"] = {"id": currency.id}
    body |= policy.dimensions()
    return amount, warnings, body


def _version(order: WooOrder) -> str:
    modified = order.date_modified_gmt or order.date_created_gmt
    if not modified:
        raise Unmappable(f"order {order.id}: no date_modified_gmt to date its refund")
    return modified
