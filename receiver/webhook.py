"""A webhook delivery, from the WSGI environ to the answer: what POST /webhook/woocommerce/<kind> does.

Order of decisions: size (413, before reading) → ping (200) → signature (401) → topic (200 "ignored"
for topics we don't publish) → replay (200 "duplicate": this body was published within
RECEIVER_REPLAY_WINDOW_S, receiver.replays) → order validation (400) → publish and wait for the
broker's acknowledgement (200, or 503). Nothing is published on any path but the last.

Written against the WSGI environ rather than Flask's `request`, so that `WebhookFastPath` (in front
of the Flask app, receiver/app.py) answers a delivery without Flask's per-request machinery; the
Flask view (receiver/routes.py) runs the same code.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_content_length, get_input_stream

from receiver.intake import (
    PUBLISHED_TOPICS,
    DeliveryHeaders,
    EnvironHeaders,
    InvalidOrder,
    build_event,
    is_ping,
    kafka_headers,
    parse_order,
)
from receiver.publisher import Headers, PublishError
from receiver.worker import ReadDeadline

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from receiver.app import ReceiverContext

access_log = logging.getLogger("receiver.access")
log = logging.getLogger("receiver.routes")  # the name these lines had before the module split

DEFAULT_TOPIC = {"order-created": "order.created", "order-updated": "order.updated"}
# A refused body up to this many times RECEIVER_MAX_BODY_BYTES is read and dropped before the 413
# (4 MiB by default): enough for any order plausibly sent by mistake, little for the worker.
DRAIN_FACTOR = 4


@dataclass
class Outcome:
    outcome: str
    status: int
    body: dict[str, Any]
    log: dict[str, Any] = field(default_factory=dict)
    close: bool = False


@dataclass(frozen=True)
class Answer:
    """A webhook's HTTP answer: a small JSON body. `wsgi()` gives a WSGI server what a werkzeug
    `Response` of it would (`response()`: the Flask view's), without building one per request:
    ~22 µs of ~130 per webhook in a hot loop, about twice that in place (bench.receiver)."""

    status: int
    body: bytes
    close: bool = False  # a refused or cut body: ask the client not to reuse the connection

    @classmethod
    def json(cls, status: int, body: dict[str, Any], close: bool = False) -> Answer:
        return cls(status, _to_json(body).encode(), close)

    def headers(self) -> list[tuple[str, str]]:
        out = [("Content-Type", "application/json"), ("Content-Length", str(len(self.body)))]
        if self.close:  # gunicorn drops it from the wire; receiver.worker closes the connection
            out.append(("Connection", "close"))
        return out

    def wsgi(self, start_response: StartResponse) -> list[bytes]:
        start_response(_STATUS_LINES.get(self.status) or f"{self.status} UNKNOWN", self.headers())
        return [self.body]

    def response(self) -> Response:
        response = Response(self.body, status=self.status, mimetype="application/json")
        if self.close:
            response.headers["Connection"] = "close"
        return response


_STATUS_LINES = {code: f"{code} {text.upper()}" for code, text in HTTP_STATUS_CODES.items()}  # werkzeug's


def webhook_response(ctx: ReceiverContext, environ: WSGIEnvironment, kind: str) -> Response:
    """The Flask view's answer (`webhook_answer` as a werkzeug `Response`)."""
    return webhook_answer(ctx, environ, kind).response()


def webhook_answer(ctx: ReceiverContext, environ: WSGIEnvironment, kind: str) -> Answer:
    """The answer to a delivery on /webhook/woocommerce/<kind>, with its access log line and metrics."""
    if on_metrics_port(ctx, environ):  # the metrics port takes scrapes and probes, never a webhook
        return Answer.json(404, {"error": "not_found"})
    started = time.perf_counter()
    ctx.metrics.in_flight.inc()
    try:
        result = _handle(ctx, environ, DEFAULT_TOPIC[kind])
    finally:
        ctx.metrics.in_flight.dec()
    ctx.metrics.outcomes[result.outcome].inc()
    if access_log.isEnabledFor(logging.INFO):
        fields = {
            "outcome": result.outcome,
            "status": result.status,
            "path_kind": kind,
            "latency_ms": round((time.perf_counter() - started) * 1000, 2),
            **result.log,
        }
        access_log.info("webhook", extra={"fields": fields})
    return Answer.json(result.status, result.body, result.close)


def _handle(ctx: ReceiverContext, environ: WSGIEnvironment, default_topic: str) -> Outcome:
    settings = ctx.settings
    length = get_content_length(environ)
    limit = settings.receiver_max_body_bytes
    if length is not None and length > limit:
        ctx.metrics.payload_bytes.observe(length)
        if length <= DRAIN_FACTOR * limit:
            _drain(environ["wsgi.input"], length)
        return _too_large(limit, length)
    try:
        body = _read_body(environ, length, limit)
    except Exception as exc:
        if not _past_deadline(exc):
            raise  # a client gone mid-body: werkzeug's ClientDisconnected (400) as before
        reason = f"body not received within {settings.receiver_read_timeout_s:g} s"
        return Outcome("timeout", 408, {"error": "timeout", "reason": reason}, {"reason": reason}, True)
    if body is None:  # a chunked body that grew past the limit
        _drain(environ["wsgi.input"], (DRAIN_FACTOR - 1) * limit)
        return _too_large(limit, None)
    ctx.metrics.payload_bytes.observe(len(body))
    delivery = DeliveryHeaders.from_headers(EnvironHeaders(environ))
    ids = {"webhook_id": delivery.webhook_id, "delivery_id": delivery.delivery_id, "body_bytes": len(body)}
    if is_ping(body, delivery):
        return Outcome("ping", 200, {"status": "ok"}, ids)
    match = ctx.verifier.verify(body, delivery.signature)
    if match is None:
        reason = "missing signature" if not delivery.signature else "signature does not match"
        return Outcome(
            "unauthorized", 401, {"error": "unauthorized", "reason": reason}, {**ids, "reason": reason}
        )
    ctx.metrics.matched[match.secret].inc()
    ctx.metrics.webhook_delivered(delivery.webhook_id)
    topic = delivery.topic or default_topic
    ctx.metrics.delivered.get(topic, ctx.metrics.delivered["other"]).inc()
    ids["webhook_topic"] = topic[:64]
    if topic not in PUBLISHED_TOPICS:
        return Outcome("ignored", 200, {"status": "ignored", "topic": topic[:64]}, ids)
    published_as = ctx.replays.seen(match.signature)
    if published_as is not None:
        ids["order_id"] = published_as
        return Outcome("duplicate", 200, {"status": "duplicate", "order_id": published_as}, ids)
    try:
        order = parse_order(body, keep_unknown=False)
    except InvalidOrder as exc:
        return Outcome(
            "invalid", 400, {"error": "invalid", "reason": exc.reason}, {**ids, "reason": exc.log_reason}
        )
    ids["order_id"] = order.id
    event = build_event(order, body, delivery, topic)
    try:
        value = ctx.serde.encode(event, settings.orders_topic)
    except (ValueError, OverflowError, TypeError) as exc:  # e.g. an id beyond Avro's long
        reason = f"order does not fit the schema ({type(exc).__name__})"
        return Outcome("invalid", 400, {"error": "invalid", "reason": reason}, {**ids, "reason": reason})
    except Exception as exc:  # a registry that does not answer: not the sender's fault
        log.warning("encoding failed", exc_info=True)
        reason = f"encoding unavailable ({type(exc).__name__})"
        return Outcome(
            "unavailable", 503, {"error": "unavailable", "reason": reason}, {**ids, "reason": reason}
        )
    result = _publish(ctx, event.key, value, kafka_headers(delivery, topic), ids, order.id)
    if result.status == 200:  # only what the broker acknowledged counts as published
        ctx.replays.remember(match.signature, order.id)
    return result


def _publish(
    ctx: ReceiverContext, key: bytes, value: bytes, headers: Headers, ids: dict[str, Any], order_id: int
) -> Outcome:
    settings = ctx.settings
    started = time.perf_counter()
    try:
        delivery = ctx.publisher.publish(
            settings.orders_topic, key, value, headers, settings.receiver_produce_timeout_s
        )
    except PublishError as exc:
        ctx.metrics.produce_latency.observe(time.perf_counter() - started)
        produce_ms = round((time.perf_counter() - started) * 1000, 2)
        info = {**ids, "reason": exc.reason, "produce_ms": produce_ms}
        if exc.too_large:
            return Outcome("too_large", 413, {"error": "too_large", "reason": exc.reason}, info)
        return Outcome("unavailable", 503, {"error": "unavailable", "reason": exc.reason}, info)
    elapsed = time.perf_counter() - started
    ctx.metrics.produce_latency.observe(elapsed)
    info = {**ids, "produce_ms": round(elapsed * 1000, 2), "partition": delivery.partition}
    body = {"status": "accepted", "order_id": order_id}
    return Outcome("accepted", 200, body, {**info, "offset": delivery.offset})


def _read_body(environ: WSGIEnvironment, length: int | None, limit: int) -> bytes | None:
    """The raw body, or None past `limit` bytes (read at most limit + 1 of a chunked body)."""
    if length is not None or not environ.get("wsgi.input_terminated"):
        # what werkzeug's get_data() reads: Content-Length bytes (checked), or nothing
        return get_input_stream(environ, max_content_length=limit).read()
    stream = environ["wsgi.input"]
    buf = bytearray()
    while len(buf) <= limit:
        chunk = stream.read(min(65536, limit + 1 - len(buf)))
        if not chunk:
            return bytes(buf)
        buf += chunk
    return None


def _drain(stream: Any, most: int) -> None:
    """Read and drop up to `most` bytes of a refused body, so the 413 reaches the sender.

    A server that answers and closes with the body unread resets the connection: a sender still
    sending (WooCommerce speaks HTTP/1.0, so gunicorn closes after every answer) fails on the write
    ("connection reset", "broken pipe") and never reads the 413. Bounded in bytes (DRAIN_FACTOR x the
    limit) and in time (the worker's read deadline ends a slow sender's drain); past either the
    sender may still see the reset.
    """
    try:
        while most > 0:
            chunk = stream.read(min(65_536, most))
            if not chunk:
                return
            most -= len(chunk)
    except (OSError, ValueError):  # the read deadline, or the sender gone
        return


def _past_deadline(exc: BaseException | None) -> bool:
    """Whether the body read ended at the worker's read deadline (werkzeug may wrap it)."""
    while exc is not None:
        if isinstance(exc, ReadDeadline):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _too_large(limit: int, length: int | None) -> Outcome:
    reason = f"body over {limit} bytes"
    return Outcome(
        "too_large",
        413,
        {"error": "too_large", "reason": reason},
        {"reason": reason, "body_bytes": length},
        True,
    )


def on_metrics_port(ctx: ReceiverContext, environ: WSGIEnvironment) -> bool:
    """Whether this request came in on RECEIVER_METRICS_PORT. SERVER_PORT is the port of the listening
    socket that accepted the connection (gunicorn sets it from its bind address), not the Host header."""
    port = ctx.settings.receiver_metrics_port
    return bool(port) and environ.get("SERVER_PORT") == str(port)


_to_json = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps would build it per call


def json_response(body: dict[str, Any], status: int) -> Response:
    """A small JSON answer as a werkzeug `Response` (cheaper than `jsonify`), for the Flask routes."""
    return Answer.json(status, body).response()
