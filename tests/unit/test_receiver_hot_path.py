"""Shortcuts of the webhook's hot path give what the general calls they replace give."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, multiprocess
from werkzeug.datastructures import EnvironHeaders as WerkzeugHeaders
from werkzeug.test import EnvironBuilder

from receiver.intake import DeliveryHeaders, EnvironHeaders, build_event, parse_order
from receiver.metrics import OUTCOMES, ReceiverMetrics
from receiver.testing import sample_body, signed_headers
from schemas.order import OrderEvent
from schemas.serde import SingleObjectSerde


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-WC-Webhook-Signature": "c2ln", "X-WC-Webhook-Topic": " Order.Created ", "X-WC-Webhook-ID": "12"},
        {"x-wc-webhook-delivery-id": "abc", "X-WC-WEBHOOK-SOURCE": "https://shop.example/"},
        {"X-WC-Webhook-Signature": "", "X-WC-Webhook-ID": "x" * 600},
    ],
)
def test_delivery_headers_read_from_the_environ_as_werkzeug_reads_them(headers: dict[str, str]) -> None:
    environ = EnvironBuilder(method="POST", headers=headers).get_environ()
    assert DeliveryHeaders.from_headers(EnvironHeaders(environ)) == DeliveryHeaders.from_headers(
        WerkzeugHeaders(environ)
    )
    for name in [*headers, "X-Missing"]:
        assert EnvironHeaders(environ).get(name) == WerkzeugHeaders(environ).get(name)


def test_outcome_and_webhook_children_are_the_registered_series() -> None:
    metrics = ReceiverMetrics()
    for outcome in OUTCOMES:
        metrics.outcomes[outcome].inc()
        assert metrics.registry.get_sample_value("woo_receiver_requests_total", {"outcome": outcome}) == 1
    metrics.webhook_delivered("12", now=5.0)
    metrics.webhook_delivered("12", now=7.0)
    metrics.webhook_delivered("13", now=6.0)
    metrics.webhook_delivered("not-a-number", now=8.0)

    def last(label: str) -> float | None:
        name = "woo_receiver_last_delivery_timestamp_seconds"
        return metrics.registry.get_sample_value(name, {"webhook_id": label})

    assert (last("12"), last("13"), last("other")) == (7.0, 6.0, 8.0)


_FORKED_WORKERS = """
import os, sys
from receiver.metrics import ReceiverMetrics, _process_id
children = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:  # a worker: its metrics are built after the fork, as gunicorn's are
        assert _process_id() == os.getpid()
        metrics = ReceiverMetrics()
        metrics.outcomes["accepted"].inc()
        metrics.outcomes["accepted"].inc()
        os._exit(0)
    children.append(pid)
for pid in children:
    assert os.waitpid(pid, 0)[1] == 0
print(" ".join(str(pid) for pid in children))
"""


def test_multiprocess_values_are_filed_under_each_workers_own_pid(tmp_path: Path) -> None:
    """The process id prometheus-client asks for on every write is cached, and renewed at fork."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", _FORKED_WORKERS], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    children = done.stdout.split()
    assert {f"counter_{pid}.db" for pid in children} <= {p.name for p in tmp_path.iterdir()}
    merged = CollectorRegistry()
    multiprocess.MultiProcessCollector(merged, path=str(tmp_path))  # type: ignore[no-untyped-call]
    assert merged.get_sample_value("woo_receiver_requests_total", {"outcome": "accepted"}) == 4


def test_the_event_built_without_validation_is_the_validated_one() -> None:
    body = sample_body()
    delivery = DeliveryHeaders.from_headers(
        WerkzeugHeaders(EnvironBuilder(headers=signed_headers(body)).get_environ())
    )
    event = build_event(parse_order(body), body, delivery, "order.updated")
    again = OrderEvent.model_validate(dict(event))
    assert event == again
    assert event.model_fields_set == again.model_fields_set
    assert SingleObjectSerde().encode(event) == SingleObjectSerde().encode(again)
