"""A real Prometheus scrapes a real receiver and consumer (gunicorn and `python -m consumer` processes
against the test broker and the NetSuite simulator) and evaluates deploy/prometheus/rules.yaml.

Read back through Prometheus' HTTP API: both targets up, the receiver's request counter after a signed
webhook, the consumer's outcome, records and end-to-end series after the order was written, the
recording rules the alerts and the dashboard read, every rule evaluating without error, no alert on a
healthy pipeline — and an alert firing when a signed webhook is refused. One Prometheus (1 s scrapes
and evaluations) and one pair of processes for the module.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from devstack.broker import free_ports, wait_for_port
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from devstack.processes import Children
from receiver.testing import SAMPLE_SECRET, sample_body, signed_headers
from tests.conftest import TEST_SESSION_TIMEOUT_MS, Broker
from tests.integration.pipeline_harness import consumer_settings, create_topics, wait_until
from tests.integration.prometheus_server import PrometheusServer, running_prometheus

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "itest"  # the target label a Kubernetes scrape would attach; the rules aggregate by it
ACCEPTED = f'woo_receiver_requests_total{{job="receiver", namespace="{NAMESPACE}", outcome="accepted"}}'
WRITTEN = f'woo_consumer_outcomes_total{{job="consumer", namespace="{NAMESPACE}", outcome="written"}}'


@dataclass(frozen=True)
class Stack:
    prometheus: PrometheusServer
    sim: NetSuiteSimulator
    webhook_url: str
    orders_topic: str


@pytest.fixture(scope="module")
def stack(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    directory = tmp_path_factory.mktemp("prometheus-scrape")
    prefix = f"t-prom-{uuid.uuid4().hex[:8]}"
    with NetSuiteSimulator(SimulatorConfig(seed=11)) as sim:
        settings = consumer_settings(broker.bootstrap, sim.env(), prefix)
        create_topics(settings)
        receiver_port, metrics_port = free_ports(2)
        common = {
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "ORDERS_TOPIC": settings.orders_topic,
            "ORDERS_TOPIC_PARTITIONS": str(settings.orders_topic_partitions),
        }
        receiver_env = {
            **common,
            "WOOCOMMERCE_WEBHOOK_SECRET": SAMPLE_SECRET,
            "PORT": str(receiver_port),
            "RECEIVER_HOST": "127.0.0.1",
            "RECEIVER_WORKERS": "2",
            "RECEIVER_THREADS": "2",
        }
        consumer_env = {
            **common,
            **sim.env(),
            "CONSUMER_GROUP": settings.consumer_group,
            "RETRY_DELAYS_SECONDS": "0.5,1,1.5",
            "KAFKA_SESSION_TIMEOUT_MS": str(TEST_SESSION_TIMEOUT_MS),
            "CONSUMER_COMMIT_INTERVAL_S": "0.2",
            "CONSUMER_LAG_INTERVAL_S": "1",
            "METRICS_PORT": str(metrics_port),
        }
        children = Children(directory / "logs")
        try:
            children.start("receiver", ["-m", "receiver"], receiver_env)
            children.start("consumer", ["-m", "consumer"], consumer_env)
            wait_for_port("127.0.0.1", receiver_port, 30)
            wait_for_port("127.0.0.1", metrics_port, 30)
            targets = {"receiver": f"127.0.0.1:{receiver_port}", "consumer": f"127.0.0.1:{metrics_port}"}
            with running_prometheus(directory, targets, NAMESPACE) as prometheus:
                # Scraped at least once before any test sends traffic: a counter first seen at 1 has
                # no increase to show.
                wait_until(lambda: len(prometheus.query("woo_consumer_ready == 1")) == 1, 60, "consumer up")
                wait_until(lambda: prometheus.query(ACCEPTED), 30, "receiver scraped")
                yield Stack(
                    prometheus,
                    sim,
                    f"http://127.0.0.1:{receiver_port}/webhook/woocommerce/order-created",
                    settings.orders_topic,
                )
            children.check()  # neither process died during the module
        finally:
            children.stop_all()


def total(prometheus: PrometheusServer, expr: str) -> float:
    return sum(prometheus.query(expr).values())


def test_prometheus_scrapes_the_receiver_and_the_consumer(stack: Stack) -> None:
    prom = stack.prometheus
    assert sorted((t["labels"]["job"], t["health"]) for t in prom.targets()) == [
        ("consumer", "up"),
        ("receiver", "up"),
    ]
    up = {(labels["job"], labels["instance"]) for labels in (t["labels"] for t in prom.targets())}
    assert prom.query(f'up{{namespace="{NAMESPACE}"}}') == {
        f'up{{instance="{instance}", job="{job}", namespace="{NAMESPACE}"}}': 1.0 for job, instance in up
    }


@pytest.fixture(scope="module")
def two_orders(stack: Stack) -> Stack:
    """Two signed webhooks, each written to NetSuite and scraped, once for the module.

    The second is sent after the first write was scraped: the consumer's labelled counters are born at
    their first increment (unlike the receiver's, created at 0), so Prometheus first sees `written` at 1
    and only an increment after that shows in rate().
    """
    for n, order_id in enumerate((4711, 4712), start=1):
        body = json.dumps({**json.loads(sample_body()), "id": order_id}).encode()
        answer = requests.post(stack.webhook_url, data=body, headers=signed_headers(body), timeout=15)
        assert answer.status_code == 200, answer.text
        wait_until(lambda n=n: len(stack.sim.records("salesOrder")) == n, 30, f"sales order {n} in NetSuite")
        wait_until(lambda n=n: total(stack.prometheus, WRITTEN) == n, 20, f"{n} written order(s) scraped")
    return stack


def test_a_signed_webhook_and_its_write_are_counted_and_recorded(two_orders: Stack) -> None:
    stack, prom = two_orders, two_orders.prometheus
    assert total(prom, ACCEPTED) == 2
    assert total(prom, f'woo_consumer_records_total{{topic="{stack.orders_topic}"}}') == 2
    assert total(prom, "woo_order_end_to_end_seconds_count") == 2
    assert total(prom, "woo_receiver_produce_latency_seconds_count") == 2

    # The recording rules over the live series (what the alerts and the dashboard read).
    for recorded in (
        f'woo:receiver_requests:rate5m{{namespace="{NAMESPACE}", outcome="accepted"}}',
        f'woo:consumer_outcomes:rate5m{{namespace="{NAMESPACE}", outcome="written"}}',
    ):
        wait_until(lambda recorded=recorded: total(prom, recorded) > 0, 20, recorded)
    wait_until(
        lambda: (
            prom.query(f'woo:consumer_topic_lag:sum{{topic="{stack.orders_topic}"}}')
            == {f'woo:consumer_topic_lag:sum{{namespace="{NAMESPACE}", topic="{stack.orders_topic}"}}': 0.0}
        ),
        20,
        "the main topic's lag recorded, and caught up",
    )
    wait_until(
        lambda: 0 < total(prom, "woo:order_end_to_end_seconds:p95_10m") < 120,
        20,
        "p95 end-to-end recorded, under the alert's 2 minutes",
    )


def test_every_rule_evaluates_and_only_a_refused_webhook_raises_an_alert(stack: Stack) -> None:
    prom = stack.prometheus
    wait_until(lambda: all(r["health"] == "ok" for r in prom.rules()), 20, "every rule evaluated")
    assert [(r["name"], r.get("lastError")) for r in prom.rules() if r.get("lastError")] == []
    assert len(prom.rules()) >= 26
    # Healthy: nothing pending or firing (an absent() alert would be, if a metric name had drifted).
    wait_until(lambda: prom.alerts() == [], 20, "no alert on a healthy pipeline")

    body = b'{"id": 99, "status": "processing"}'  # signed, but not an order: 400, never published
    answer = requests.post(stack.webhook_url, data=body, headers=signed_headers(body), timeout=15)
    assert answer.status_code == 400, answer.text
    firing = wait_until(
        lambda: [a for a in prom.alerts() if a["state"] == "firing"], 20, "WooReceiverRejectingOrders firing"
    )
    assert [(a["labels"]["alertname"], a["labels"]["outcome"], a["labels"]["namespace"]) for a in firing] == [
        ("WooReceiverRejectingOrders", "invalid", NAMESPACE)
    ]
    # increase() extrapolates the one refusal (1.03...); the summary counts it as 1
    assert firing[0]["annotations"]["summary"] == "Receiver refused 1 signed webhook(s) as invalid"
    assert [a for a in prom.alerts() if a["state"] != "firing"] == []


GRAFANA_VARIABLES = {"$namespace": NAMESPACE, "$__rate_interval": "1m", "$__range": "5m"}
SERIES_NAME = re.compile(r"\bwoo[_:][a-z0-9_:]+")


def test_every_dashboard_query_runs_against_the_live_series(two_orders: Stack) -> None:
    """deploy/grafana/dashboard.json's queries, with Grafana's variables filled in, run without error, and
    a panel shows nothing only when no series it reads exists yet (no dead letter in this run)."""
    prom = two_orders.prometheus
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "dashboard.json").read_text(encoding="utf-8"))
    panels = [p for row in dashboard["panels"] for p in [row, *row.get("panels", [])]]
    queries = [(p["title"], t["expr"]) for p in panels for t in p.get("targets", [])]
    assert len(queries) >= 20
    empty = []
    for title, expr in queries:
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        assert "$" not in expr, f"{title}: a Grafana variable this test does not fill in: {expr}"
        if not prom.query(expr):  # prom.query fails on a query Prometheus refuses
            empty.append((title, expr))
    assert len(empty) < len(queries) / 4, empty
    for title, expr in empty:
        present = [n for n in sorted(set(SERIES_NAME.findall(expr))) if prom.query(f'{{__name__="{n}"}}')]
        assert not present, f"{title}: no data although {present} exist: {expr}"
