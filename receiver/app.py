"""`create_app(settings, publisher)`: the Flask app of one worker process."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from receiver.metrics import ReceiverMetrics
from receiver.publisher import Publisher
from receiver.replays import ReplayFilter
from receiver.settings import ReceiverSettings
from receiver.signature import SignatureVerifier
from schemas.serde import OrderSerde, make_serde


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

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        """Flask's own refusals (404, 405, …) as short JSON like ours."""
        response = jsonify({"error": (exc.name or "error").lower().replace(" ", "_")})
        response.status_code = exc.code or 500
        return response

    return app
