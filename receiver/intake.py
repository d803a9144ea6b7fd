"""What a webhook delivery is, independent of Flask: ping detection, order parsing, the event.

Pure functions over bytes and header values, so the decisions are unit-tested without a server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from common import headers as h
from receiver.publisher import Headers
from schemas.order import OrderEvent, WebhookOrder, WooOrder, order_errors
from schemas.order_slim import SlimWebhookOrder

SIGNATURE_HEADER = "X-WC-Webhook-Signature"
TOPIC_HEADER = "X-WC-Webhook-Topic"
ID_HEADER = "X-WC-Webhook-ID"
DELIVERY_ID_HEADER = "X-WC-Webhook-Delivery-ID"
SOURCE_HEADER = "X-WC-Webhook-Source"

# Topics whose body is a full order and that the consumer acts on. Others (order.deleted,
# order.restored, product.*, action.*) are verified, answered 200 and not published: a non-2xx
# answer would count toward WooCommerce disabling the webhook, and reconciliation covers the rest.
PUBLISHED_TOPICS = frozenset({"order.created", "order.updated"})

_PING = re.compile(rb"\s*webhook_id=\d{1,20}\s*")
_MAX_HEADER_CHARS = 512


class InvalidOrder(ValueError):
    """The body is not an order we can accept; `reason` is short and quotes no values."""

    def __init__(self, reason: str, log_reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.log_reason = log_reason


class _HeaderLookup(Protocol):
    def get(self, key: str) -> str | None: ...


class EnvironHeaders:
    """`get(name)` straight from a WSGI environ: the value werkzeug's `request.headers.get(name)` gives
    (`HTTP_` + the name upper-cased, dashes as underscores), without normalising the name per call.
    For the X-WC-* headers; not Content-Type/-Length, which WSGI keeps without the `HTTP_` prefix."""

    __slots__ = ("_environ",)
    _KEYS: dict[str, str] = {}

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self._environ = environ

    def get(self, key: str) -> str | None:
        wsgi = self._KEYS.get(key)
        if wsgi is None:
            wsgi = self._KEYS[key] = "HTTP_" + key.upper().replace("-", "_")
        value = self._environ.get(wsgi)
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class DeliveryHeaders:
    """The X-WC-Webhook-* headers of one delivery (values as sent, bounded in length)."""

    signature: str | None
    topic: str | None
    webhook_id: str
    delivery_id: str
    source: str

    @classmethod
    def from_headers(cls, headers: _HeaderLookup) -> DeliveryHeaders:
        def get(name: str) -> str:
            return (headers.get(name) or "").strip()[:_MAX_HEADER_CHARS]

        topic = get(TOPIC_HEADER).lower()
        return cls(
            signature=headers.get(SIGNATURE_HEADER),
            topic=topic or None,
            webhook_id=get(ID_HEADER),
            delivery_id=get(DELIVERY_ID_HEADER),
            source=get(SOURCE_HEADER),
        )


def is_ping(body: bytes, delivery: DeliveryHeaders) -> bool:
    """WooCommerce's activation ping: `webhook_id=N`, form-encoded, with no signature."""
    return delivery.signature is None and _PING.fullmatch(body) is not None


def parse_order(body: bytes, *, keep_unknown: bool = True) -> WooOrder:
    """Validate the body as a WooCommerce order: a JSON object with an integer `id` > 0 and the
    fields the mapping reads (`WebhookOrder`). `keep_unknown=False` (the receiver, which publishes
    the raw body anyway) leaves the unknown fields out of the model: the same verdict and errors in
    less time (`SlimWebhookOrder`)."""
    try:
        return (WebhookOrder if keep_unknown else SlimWebhookOrder).model_validate_json(body)
    except ValidationError as exc:
        errors = order_errors(exc)
        public = [f"{_loc(e['loc'])}: {e['msg']}" for e in errors[:3]]
        private = [f"{_loc(e['loc'])}: {e['type']}" for e in errors[:3]]
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        raise InvalidOrder("; ".join(public) + more, "; ".join(private) + more) from None


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "body"


def build_event(order: WooOrder, body: bytes, delivery: DeliveryHeaders, topic: str) -> OrderEvent:
    """The event for a validated order. Built without validating again (`model_construct`): every
    value already has its field's type - the order validated, the header values str - and
    validation would only check that again, on every webhook."""
    return OrderEvent.model_construct(
        order=order,
        webhook_topic=topic,
        received_at_ms=time.time_ns() // 1_000_000,
        webhook_id=delivery.webhook_id,
        delivery_id=delivery.delivery_id,
        source=delivery.source,
        raw_body=body,
    )


def kafka_headers(delivery: DeliveryHeaders, topic: str) -> Headers:
    """Tracing headers: the webhook topic always, the ids and source when WooCommerce sent them."""
    out: list[tuple[str, str | bytes | None]] = [(h.WEBHOOK_TOPIC, topic.encode())]
    for name, value in (
        (h.WEBHOOK_ID, delivery.webhook_id),
        (h.WEBHOOK_DELIVERY_ID, delivery.delivery_id),
        (h.WEBHOOK_SOURCE, delivery.source),
    ):
        if value:
            out.append((name, value.encode("latin-1", "replace")))  # WSGI: latin-1 text of the bytes
    return out
