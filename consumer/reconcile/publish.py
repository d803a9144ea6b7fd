"""An order found by reconciliation goes to Kafka exactly as a webhook delivery would.

Same validation (`receiver.intake.parse_order`: what the door would refuse with 400 is refused here
too), same Avro event (`build_event`), same key (the order id), the receiver's tracing headers, plus
`x-source: reconcile`. WooCommerce builds a webhook's payload with its REST controller, so a REST
order *is* a webhook body; the event's `raw_body` is that order object, compact JSON.

The event says `order.updated`, whatever happened to the order: the consumer then reads NetSuite's
version first when it does not remember the order (`consumer/pipeline/versions.py`, row 6), one GET
more for a truly new order. `order.created` would skip that read and could, for an order the group's
memory no longer holds, write this version over a newer one another path wrote meanwhile.
"""

from __future__ import annotations

import json
from typing import Any

from common import headers as h
from common.publisher import Publisher
from receiver.intake import DeliveryHeaders, build_event, kafka_headers, parse_order
from schemas.order import WooOrder
from schemas.serde import OrderSerde

EVENT_TOPIC = "order.updated"


def publish_order(
    rest_order: dict[str, Any],
    publisher: Publisher,
    serde: OrderSerde,
    *,
    topic: str,
    shop_url: str,
    source: bytes = h.RECONCILE,
    repair: bool = False,
    timeout_s: float = 30.0,
) -> WooOrder:
    """Validate, encode and publish; returns once the broker acknowledged (raises `InvalidOrder` for
    an order the receiver would refuse, `PublishError` when the broker does not take it). `repair`
    adds `x-repair`: the consumer then decides on what NetSuite holds, never on its memory."""
    body = json.dumps(rest_order, separators=(",", ":"), ensure_ascii=True).encode()
    order = parse_order(body)
    delivery = DeliveryHeaders(
        signature=None, topic=EVENT_TOPIC, webhook_id="", delivery_id="", source=shop_url
    )
    event = build_event(order, body, delivery, EVENT_TOPIC)
    headers = [*kafka_headers(delivery, EVENT_TOPIC), (h.SOURCE, source)]
    if repair:
        headers.append((h.REPAIR, source))
    publisher.publish(topic, event.key, serde.encode(event, topic), headers, timeout_s)
    return order
