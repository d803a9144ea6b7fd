"""The blueprint: the webhook endpoints (receiver/webhook.py), health, readiness and metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import Blueprint, Response, current_app, request

from receiver.webhook import json_response, on_metrics_port, webhook_response

if TYPE_CHECKING:
    from receiver.app import ReceiverContext

bp = Blueprint("receiver", __name__)


def _ctx() -> ReceiverContext:
    return cast("ReceiverContext", current_app.extensions["woo_receiver"])


@bp.post("/webhook/woocommerce/<any('order-created', 'order-updated'):kind>")
def webhook(kind: str) -> Response:
    """Served by `WebhookFastPath` in front of Flask; this view answers what reaches Flask anyway."""
    return webhook_response(_ctx(), request.environ, kind)


@bp.get("/healthz")
def healthz() -> Response:
    return json_response({"status": "ok"}, 200)


@bp.get("/readyz")
def readyz() -> Response:
    ready = _ctx().readiness.check()
    return json_response({"status": "ready" if ready else "broker unreachable"}, 200 if ready else 503)


@bp.get("/metrics")
def metrics() -> Response:
    ctx = _ctx()
    if ctx.settings.receiver_metrics_port and not on_metrics_port(ctx, request.environ):
        return json_response({"error": "not_found"}, 404)  # RECEIVER_METRICS_PORT set: not on the public port
    payload, content_type = ctx.metrics.render()
    return Response(payload, status=200, content_type=content_type)
