"""The webhook fast path (receiver.app.WebhookFastPath) answers exactly as the Flask view does.

Each request goes once through the fast path and once, on a twin app, through Flask's own dispatch
(`flask_wsgi`): same status, headers, body, published records, metrics and access-log outcome.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from werkzeug.exceptions import ClientDisconnected
from werkzeug.test import EnvironBuilder

from receiver.app import WebhookFastPath, create_app
from receiver.metrics import OUTCOMES, ReceiverMetrics
from receiver.settings import load_settings
from receiver.testing import SAMPLE_SECRET, FakePublisher, order_body, sample_body, signed_headers

CREATED = "/webhook/woocommerce/order-created"
UPDATED = "/webhook/woocommerce/order-updated"
BODY = sample_body()
BAD = BODY.replace(b'"id":4711', b'"id":"4711"')


def _environ(path: str = CREATED, body: bytes = BODY, **kwargs: Any) -> dict[str, Any]:
    headers = kwargs.pop("headers", signed_headers(body))
    chunked = kwargs.pop("chunked", False)
    builder = EnvironBuilder(path=path, method=kwargs.pop("method", "POST"), headers=headers, data=body)
    environ = builder.get_environ()
    if chunked:
        del environ["CONTENT_LENGTH"]
        environ["wsgi.input_terminated"] = True
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    environ.update(kwargs)
    return environ


CASES: dict[str, tuple[int, Callable[[], dict[str, Any]]]] = {  # name: (status, request)
    "accepted": (200, lambda: _environ()),
    "updated": (
        200,
        lambda: _environ(
            UPDATED, order_body(7), headers=signed_headers(order_body(7), topic="order.updated")
        ),
    ),
    "invalid order": (400, lambda: _environ(body=BAD)),
    "not json": (400, lambda: _environ(body=b"{nope")),
    "forged": (401, lambda: _environ(headers={"X-WC-Webhook-Signature": "forged"})),
    "unsigned": (401, lambda: _environ(headers={})),
    "ping": (
        200,
        lambda: _environ(
            body=b"webhook_id=12", headers={"Content-Type": "application/x-www-form-urlencoded"}
        ),
    ),
    "ignored topic": (
        200,
        lambda: _environ(body=b"{}", headers=signed_headers(b"{}", topic="product.updated")),
    ),
    "too large": (413, lambda: _environ(body=b"x" * 20_000)),
    "chunked": (200, lambda: _environ(chunked=True)),
    "chunked too large": (413, lambda: _environ(body=b"x" * 20_000, chunked=True)),
    "on the metrics port": (404, lambda: _environ(SERVER_PORT="9102")),
    "client gone": (400, lambda: _environ(**{"wsgi.input": io.BytesIO(BODY[:100])})),
    "GET": (405, lambda: _environ(method="GET")),
    "trailing slash": (404, lambda: _environ(CREATED + "/")),
}


def _run(wsgi: Callable[..., Any], environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    started: list[Any] = []
    body = b"".join(wsgi(environ, lambda status, headers, exc_info=None: started.extend([status, headers])))
    return started[0], sorted(started[1]), body


def _app(publisher: FakePublisher, metrics: ReceiverMetrics) -> Any:
    settings = load_settings(
        woocommerce_webhook_secret=SAMPLE_SECRET, receiver_max_body_bytes=16_384, receiver_metrics_port=9102
    )
    return create_app(settings, publisher, metrics=metrics)


@pytest.mark.parametrize("case", CASES)
def test_the_fast_path_answers_as_the_flask_view(case: str, caplog: pytest.LogCaptureFixture) -> None:
    fast_pub, flask_pub = FakePublisher(), FakePublisher()
    fast_metrics, flask_metrics = ReceiverMetrics(), ReceiverMetrics()
    fast, flask = _app(fast_pub, fast_metrics), _app(flask_pub, flask_metrics)
    assert isinstance(fast.wsgi_app, WebhookFastPath)
    with caplog.at_level("INFO", logger="receiver.access"):
        status, request = CASES[case]
        fast_answer = _run(fast.wsgi_app, request())
        fast_lines = [r.__dict__.get("fields", {}).get("outcome") for r in caplog.records]
        caplog.clear()
        flask_answer = _run(flask.wsgi_app.flask_wsgi, request())
        flask_lines = [r.__dict__.get("fields", {}).get("outcome") for r in caplog.records]
    assert fast_answer == flask_answer
    assert fast_answer[0].startswith(f"{status} ")
    assert [c[:2] for c in fast_pub.calls] == [c[:2] for c in flask_pub.calls]
    assert fast_lines == flask_lines
    for outcome in OUTCOMES:
        labels = {"outcome": outcome}
        name = "woo_receiver_requests_total"
        assert fast_metrics.registry.get_sample_value(
            name, labels
        ) == flask_metrics.registry.get_sample_value(name, labels)


def test_an_exception_is_flasks_to_answer_and_log(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(FakePublisher):
        def publish(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("a bug")

    app = _app(Broken(), ReceiverMetrics())
    with caplog.at_level("ERROR"):
        status, _, body = _run(app.wsgi_app, _environ())
    assert (status, body) == ("500 INTERNAL SERVER ERROR", b'{"error":"internal_server_error"}\n')
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
    app.testing = True  # as in Flask: under test the exception propagates
    with pytest.raises(RuntimeError):
        _run(app.wsgi_app, _environ())


def test_a_client_gone_mid_body_gets_flasks_400() -> None:
    status, _, body = _run(_app(FakePublisher(), ReceiverMetrics()).wsgi_app, CASES["client gone"][1]())
    assert status == "400 BAD REQUEST"
    assert b"bad_request" in body
    assert ClientDisconnected.code == 400  # werkzeug's, raised by the body read
