"""`create_app(settings, publisher)`: the Flask app of one worker process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from receiver.metrics import ReceiverMetrics
from receiver.publisher import Publisher
from receiver.replays import ReplayFilter
from receiver.settings import ReceiverSettings
from receiver.signature import SignatureVerifier
from receiver.webhook import DEFAULT_TOPIC, webhook_answer
from schemas.serde import OrderSerde, make_serde

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class Readiness:
    """Broker reachability, probed at most once per `cache_s`; concurrent probes share one check."""

    def __init__(
        self,
        probe: Callable[[], bool],
        cache_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._cache_s = cache_s
        self._clock = clock
        self._lock = threading.Lock()
        self._answer = False
        self._at: float | None = None

    def check(self) -> bool:
        with self._lock:
            now = self._clock()
            if self._at is None or now - self._at >= self._cache_s:
                self._answer = self._probe()
                self._at = self._clock()
            return self._answer


class WebhookFastPath:
    """WSGI in front of the Flask app: a POST to a webhook path is answered by receiver.webhook
    directly, without Flask's per-request machinery (request and app contexts, session, URL map,
    signals, response finalisation) - ~45 us of the ~250 us a webhook costs in a hot loop, about as
    much again in place. The answer, its headers, the log line and the metrics are the same (the
    Flask view runs the same code: tests/unit/test_receiver_fast_path.py); everything else (health,
    readiness, metrics, other methods and paths) is Flask's, and so is an exception: it is handled
    as if the view had raised it."""

    PATHS = {f"/webhook/woocommerce/{kind}": kind for kind in DEFAULT_TOPIC}

    def __init__(self, app: Flask, ctx: ReceiverContext) -> None:
        self.app = app
        self.flask_wsgi = app.wsgi_app
        self._ctx = ctx

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        kind = self.PATHS.get(environ.get("PATH_INFO", ""))
        if kind is None or environ.get("REQUEST_METHOD") != "POST":
            return self.flask_wsgi(environ, start_response)
        try:
            answer = webhook_answer(self._ctx, environ, kind)
        except Exception as exc:
            with self.app.request_context(environ):
                try:  # Flask's own handling: the HTTPException handler, else a logged 500
                    response = self.app.finalize_request(self.app.handle_user_exception(exc))
                except Exception as unhandled:
                    response = self.app.handle_exception(unhandled)
            return response(environ, start_response)
        return answer.wsgi(start_response)  # outside the try: start_response is called once


@dataclass
class ReceiverContext:
    """What the blueprint's handlers use; stored in `app.extensions["woo_receiver"]`."""

    settings: ReceiverSettings
    publisher: Publisher
    verifier: SignatureVerifier
    serde: OrderSerde
    metrics: ReceiverMetrics
    readiness: Readiness
    replays: ReplayFilter


def create_app(
    settings: ReceiverSettings,
    publisher: Publisher,
    *,
    metrics: ReceiverMetrics | None = None,
    serde: OrderSerde | None = None,
) -> Flask:
    """The receiver app; `publisher` is shared by every request thread of this process."""
    from receiver.routes import bp

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.receiver_max_body_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["woo_receiver"] = ReceiverContext(
        settings=settings,
        publisher=publisher,
        verifier=SignatureVerifier(
            settings.woocommerce_webhook_secret.get_secret_value(),
            previous.get_secret_value()
            if (previous := settings.woocommerce_webhook_secret_previous)
            else None,
        ),
        serde=serde
        if serde is not None
        else make_serde(settings.schema_registry_url, settings.registry_config()),
        metrics=metrics if metrics is not None else ReceiverMetrics(),
        readiness=Readiness(
            lambda: publisher.ready(settings.receiver_ready_timeout_s), settings.receiver_ready_cache_s
        ),
        replays=ReplayFilter(settings.receiver_replay_capacity, settings.receiver_replay_window_s),
    )
    app.register_blueprint(bp)
    app.wsgi_app = WebhookFastPath(app, app.extensions["woo_receiver"])  # type: ignore[method-assign]

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        """Flask's own refusals (404, 405, …) as short JSON like ours."""
        response = jsonify({"error": (exc.name or "error").lower().replace(" ", "_")})
        response.status_code = exc.code or 500
        return response

    return app
