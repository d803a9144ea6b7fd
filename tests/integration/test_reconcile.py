"""`python -m consumer reconcile`, end to end through its command line: the WooCommerce simulator
delivers webhooks through a receiver for most orders and never sends the others; reconcile finds
exactly those, the consumer group writes every order to NetSuite once.

One shop, one receiver and one NetSuite simulator for the module; the tests run in order on them.
The shop's timezone is New York: a client that forgot `dates_are_gmt` would see nothing of the last
five hours. tansu gap (test_tansu_gaps.py): its ListOffsets(latest) undercounts a multi-record batch;
every record here is produced on its own (the receiver and reconcile wait for each acknowledgement).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from werkzeug.serving import make_server

from common.publisher import KafkaPublisher
from consumer.settings import ConsumerSettings
from devstack.broker import free_port
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from devstack.woo_sim import WebhookConfig, WooSimConfig, WooSimulator
from devstack.woo_sim.config import DEMO_WEBHOOK_SECRET
from devstack.woo_sim.messages import Request
from receiver.app import create_app
from receiver.settings import ReceiverSettings
from tests import cli
from tests.conftest import Broker
from tests.integration.pipeline_harness import consumer_settings, create_topics, running_member, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]
START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=20)
NO_WEBHOOK = {n for n in range(1, 501) if n % 5 == 1}  # 100 orders WooCommerce never sends; 101 among them


@dataclass
class Stack:
    shop: WooSimulator
    netsuite: NetSuiteSimulator
    settings: ConsumerSettings
    env: dict[str, str]
    factory: OrderFactory

    def sales_orders(self) -> dict[str, str]:
        """externalId → version, failing on a duplicate."""
        out: dict[str, str] = {}
        for record in self.netsuite.records("salesOrder"):
            assert record["externalId"] not in out, f"duplicate {record['externalId']}"
            out[record["externalId"]] = record["custbody_woo_modified_gmt"]
        return out


def reconcile(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return cli.run("consumer", "reconcile", *args, env=env)


@pytest.fixture(scope="module")
def stack(broker: Broker) -> Iterator[Stack]:
    prefix = f"t-reconcile-{os.getpid()}"
    with NetSuiteSimulator(SimulatorConfig(concurrency_limit=5, seed=3)) as netsuite:
        settings = consumer_settings(broker.bootstrap, netsuite.env(), prefix)
        create_topics(settings)
        receiver_settings = ReceiverSettings(
            woocommerce_webhook_secret=DEMO_WEBHOOK_SECRET,  # type: ignore[arg-type]
            kafka_bootstrap_servers=broker.bootstrap,
            orders_topic=settings.orders_topic,
        )
        publisher = KafkaPublisher(receiver_settings.producer_config())
        server = make_server("127.0.0.1", 0, create_app(receiver_settings, publisher), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        root = f"http://127.0.0.1:{server.server_port}/webhook/woocommerce"
        hooks = (
            WebhookConfig(1, "order.created", f"{root}/order-created"),
            WebhookConfig(2, "order.updated", f"{root}/order-updated"),
        )
        with WooSimulator(WooSimConfig(timezone="America/New_York", webhooks=hooks)) as shop:
            env = {
                **shop.env(),
                "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
                "ORDERS_TOPIC": settings.orders_topic,
                "ORDERS_TOPIC_PARTITIONS": "3",
                "RECONCILE_LAG_S": "0",
                "RECONCILE_OVERLAP_S": "60",
                "RECEIVER_PUBLIC_URL": f"http://127.0.0.1:{server.server_port}",
            }
            try:
                yield Stack(shop, netsuite, settings, env, OrderFactory(seed=17))
            finally:
                server.shutdown()
                publisher.close(10)


def test_one_pass_recovers_every_order_the_webhooks_missed_even_one_changed_while_paging(
    stack: Stack,
) -> None:
    shop = stack.shop
    for n in range(1, 501):
        order = stack.factory.order(n)
        shop.create_order(order, deliver=n not in NO_WEBHOOK, at=START + timedelta(seconds=n))
    assert shop.wait_deliveries(60)
    assert shop.stats()["deliveries"] == {"sent": 400, "failed": 0, "coalesced": 0}

    # before the walk's second request, order 10 (page 1) changes without a webhook: under page=N
    # paging order 101 would slip onto page 1, already read, and be lost (test_woo_paging.py)
    lists = {"n": 0}
    changed_at = START + timedelta(seconds=900)

    def change_order_10(request: Request) -> None:
        lists["n"] += 1
        if lists["n"] == 2:
            billing = {**(shop.app.store.get(10) or {})["billing"], "address_2": "Hinterhaus"}
            shop.modify_order(10, {"billing": billing}, deliver=False, at=changed_at)

    shop.before_list(change_order_10)
    first = reconcile(stack.env, "--once", "--since", (START - timedelta(minutes=1)).isoformat())
    assert first.returncode == 0, first.stderr
    assert "501 listed, 101 published (missed by the webhook path), 400 already published" in first.stdout
    assert "order.created active, order.updated active" in first.stdout

    with running_member(stack.settings):
        wait_until(lambda: len(stack.sales_orders()) == 500, 90, "all 500 orders in NetSuite")
        wait_until(
            lambda: stack.sales_orders()["WOO_ORDER_10"] == changed_at.strftime("%Y-%m-%dT%H:%M:%S"),
            30,
            "order 10's change written",
        )
    assert set(stack.sales_orders()) == {f"WOO_ORDER_{n}" for n in range(1, 501)}

    second = reconcile(stack.env, "--once")  # from the watermark, with the overlap
    assert second.returncode == 0, second.stderr
    assert "0 published" in second.stdout


def test_two_passes_at_once_do_no_harm(stack: Stack) -> None:
    for n in range(501, 521):
        stack.shop.create_order(stack.factory.order(n), deliver=False)
    env = {**stack.env, "RECONCILE_OVERLAP_S": "3600"}
    args = [sys.executable, "-m", "consumer", "reconcile", "--once"]
    procs = [
        subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    with running_member(stack.settings):
        wait_until(lambda: len(stack.sales_orders()) == 520, 60, "the 20 new orders in NetSuite, once each")


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except requests.RequestException:
        return {}
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_running_it_flags_a_disabled_webhook_and_a_refused_key(stack: Stack, tmp_path: Path) -> None:
    port = free_port()
    env = {**stack.env, "METRICS_PORT": str(port), "RECONCILE_INTERVAL_S": "0.5"}
    log = (tmp_path / "reconcile.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "consumer", "reconcile"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=log,
    )
    created = ("woo_reconcile_webhook_active", (("topic", "order.created"),))
    updated = ("woo_reconcile_webhook_active", (("topic", "order.updated"),))
    halted = ("woo_reconcile_halted", (("reason", "credentials"),))
    missed = ("woo_reconcile_missed_orders_total", ())
    try:
        wait_until(lambda: scrape(port).get(created) == 1.0, 30, "order.created webhook seen active")
        assert scrape(port)[("woo_reconcile_watermark_age_seconds", ())] < 30
        before = scrape(port)[missed]

        stack.shop.set_webhook_status(1, "disabled")  # WooCommerce gave up on it after failures
        stack.shop.create_order(stack.factory.order(600))  # its webhook is never sent
        wait_until(lambda: scrape(port).get(created) == 0.0, 30, "the disabled webhook flagged")
        assert scrape(port)[updated] == 1.0
        wait_until(lambda: scrape(port)[missed] == before + 1, 30, "order 600 recovered")

        stack.shop.set_consumer_secret("cs_regenerated")
        wait_until(lambda: scrape(port).get(halted) == 1.0, 30, "halted on the refused key")
        stack.shop.set_consumer_secret(stack.shop.config.consumer_secret)
        wait_until(lambda: scrape(port).get(halted) == 0.0, 30, "resumed once the key works")
    finally:
        stack.shop.set_webhook_status(1, "active")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        log.close()


def test_a_refused_key_or_a_missing_topic_exits_2(stack: Stack) -> None:
    refused = reconcile({**stack.env, "WOOCOMMERCE_CONSUMER_SECRET": "cs_wrong"}, "--once")
    assert refused.returncode == 2
    assert "refused the key" in refused.stderr
    assert "cs_wrong" not in refused.stderr + refused.stdout
    missing = reconcile({**stack.env, "ORDERS_TOPIC": "t-never-created"}, "--once")
    assert missing.returncode == 2
    assert "python -m consumer topics" in missing.stderr
    assert reconcile(stack.env, "--once", "--since", "yesterday").returncode == 2
