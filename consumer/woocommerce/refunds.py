"""A refund's per-line detail from WooCommerce's REST API: `/wp-json/wc/v3/orders/<id>/refunds`.

The order payload lists each refund's id, reason and total only; its items — which lines, how many,
with which tax — are in the refunds collection (WooCommerce's order-refunds REST docs). With
`WOOCOMMERCE_API_URL` set the consumer reads them, once per pass that books refunds, and books each
refund line by line (`consumer.netsuite.refund_lines`). When the shop does not answer (after a short
retry: 2 attempts of at most 5 s, 1 s apart) or answers nonsense, the refund is booked without its detail, as
without the API (one line on the refund item, the money right), and counted in
`woo_consumer_refund_detail_unavailable_total`: money on time beats detail late, and a refund is
written once (the memory would not book it again with detail).
"""

from __future__ import annotations

import logging
from typing import Annotated, Protocol

from prometheus_client import Counter
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from consumer.woocommerce.client import RetryPolicy, WooClient, WooError
from schemas.order import FeeLine, GmtTime, LineItem, LocalTime, Long, Money, ShippingLine, Text

log = logging.getLogger(__name__)
QUICK = RetryPolicy(attempts=2, first_backoff_s=1.0, max_backoff_s=5.0)  # a record waits for this
TIMEOUT_S = 5.0  # per answer: a worker holds the order meanwhile
DETAIL_UNAVAILABLE = Counter(
    "woo_consumer_refund_detail_unavailable",
    "Refunds booked without their per-line detail because WooCommerce's API did not answer",
)


class RefundLineItem(LineItem):
    """A refunded line: WooCommerce's figures are negative, the quantity too (0: an amount only)."""

    quantity: Annotated[int, Field(ge=-(2**63), le=2**63 - 1)] = 0


class RefundDetail(BaseModel):
    """One refund as `/orders/<id>/refunds` lists it (the fields the booking reads)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: Long
    date_created: LocalTime = None
    date_created_gmt: GmtTime = None
    amount: Money = "0"
    reason: Text = ""
    line_items: list[RefundLineItem] = Field(default_factory=list)
    shipping_lines: list[ShippingLine] = Field(default_factory=list)
    fee_lines: list[FeeLine] = Field(default_factory=list)


class RefundLookup(Protocol):
    def details(self, order_id: int) -> dict[int, RefundDetail] | None: ...


class WooRefunds:
    """`RefundLookup` over the shop's REST API (None: unavailable, book without detail)."""

    def __init__(self, client: WooClient) -> None:
        self._client = client

    def details(self, order_id: int) -> dict[int, RefundDetail] | None:
        try:
            found = self._client.all_pages(f"/orders/{order_id}/refunds", {})
            return {d.id: d for d in (RefundDetail.model_validate(item) for item in found)}
        except (WooError, ValidationError) as exc:
            DETAIL_UNAVAILABLE.inc()
            log.warning(
                "order %s: refund detail unavailable (%s): booked without it", order_id, type(exc).__name__
            )
            return None
