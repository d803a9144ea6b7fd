"""Exactly-once effect: redeliveries, out-of-order versions, retried old versions, a killed member."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import Faults, NetSuiteSimulator
from tests.conftest import TEST_SESSION_TIMEOUT_MS, Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    consumer_settings,
    create_topics,
    event_for,
    produce,
    running_member,
    wait_until,
)

VERSION_FIELD = "custbody_woo_modified_gmt"


def versions(order: dict[str, Any], stamps: list[str]) -> list[dict[str, Any]]:
    """The same order at several versions; each version changes a quantity, so lines differ."""
    out = []
    for n, stamp in enumerate(stamps, start=1):
        v = {**order, "date_modified_gmt": stamp, "customer_note": f"v{n}"}
        line = {**order["line_items"][0], "quantity": n}
        unit = order["line_items"][0]["total"]
        line["total"] = line["subtotal"] = f"{float(unit) / order['line_items'][0]['quantity'] * n:.2f}"
        line.update(total_tax="0.00", subtotal_tax="0.00", taxes=[])  # an untaxed order, consistently
        v["line_items"], v["tax_lines"] = [line], []
        v["shipping_lines"], v["total_tax"], v["shipping_total"] = [], "0.00", "0.00"
        v["total"] = line["total"]
        out.append(v)
    return out


def only_sales_order(sim: NetSuiteSimulator) -> dict[str, Any]:
    (record,) = sim.records("salesOrder")
    return record


def test_redeliveries_and_an_older_version_leave_one_order_with_the_newest_data(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    v1, v2 = versions(OrderFactory(seed=1).order(77), ["2026-11-01T10:00:00", "2026-11-01T11:00:00"])
    metric_delta.mark("woo_consumer_outcomes_total", outcome="skipped_stale")
    metric_delta.mark("woo_consumer_outcomes_total", outcome="skipped_unchanged")
    produce(broker.bootstrap, settings.orders_topic, [event_for(v2)] * 5 + [event_for(v1)])

    with running_member(settings):
        wait_until(
            lambda: (
                metric_delta("woo_consumer_outcomes_total", outcome="skipped_unchanged") >= 4
                and metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") >= 1
            ),
            30,
            "four redeliveries skipped and the old version refused",
        )

    record = only_sales_order(sim)
    assert record[VERSION_FIELD] == "2026-11-01T11:00:00"
    assert [line["quantity"] for line in record["item"]["items"]] == [2]
    assert len(sim.records("customer")) == 1


def test_a_retried_old_version_does_not_overwrite_the_newer_one_written_meanwhile(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(
        broker.bootstrap, sim.env(), unique_name, retry_delays_seconds="1", netsuite_call_attempts=2
    )
    create_topics(settings)
    v1, v2 = versions(OrderFactory(seed=2).order(78), ["2026-11-01T10:00:00", "2026-11-01T11:00:00"])
    metric_delta.mark("woo_consumer_retried_total", level="1")
    metric_delta.mark("woo_consumer_outcomes_total", outcome="skipped_stale")
    sim.set_faults(Faults(throttle_next_n=2))  # v1's two tries are throttled: v1 goes to .retry.1
    produce(broker.bootstrap, settings.orders_topic, [event_for(v1), event_for(v2)])

    with running_member(settings):
        wait_until(
            lambda: metric_delta("woo_consumer_retried_total", level="1") >= 1, 20, "v1 in the retry topic"
        )
        wait_until(
            lambda: metric_delta("woo_consumer_outcomes_total", outcome="skipped_stale") >= 1,
            20,
            "v1 from .retry.1 seen as older than what NetSuite holds",
        )

    record = only_sales_order(sim)
    assert record[VERSION_FIELD] == "2026-11-01T11:00:00"
    assert [line["quantity"] for line in record["item"]["items"]] == [2]


def member_process(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "consumer"],
        env={**os.environ, **env},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_killing_a_member_mid_run_writes_every_order_exactly_once(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, tmp_path: Path
) -> None:
    sim.set_faults(Faults(latency_ms=15))
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, orders_topic_partitions=4)
    create_topics(settings)
    factory = OrderFactory(seed=4)
    orders = [factory.order(n) for n in range(1, 301)]
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])
    env = {
        **sim.env(),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": settings.orders_topic,
        "CONSUMER_GROUP": settings.consumer_group,
        "RETRY_DELAYS_SECONDS": "0.5,1,1.5",
        "KAFKA_SESSION_TIMEOUT_MS": str(TEST_SESSION_TIMEOUT_MS),
        "CONSUMER_COMMIT_INTERVAL_S": "5",  # a wide window of uncommitted work for the kill to hit
        "METRICS_PORT": "0",
        "NETSUITE_CONCURRENCY": "4",
    }
    victim = member_process(env, tmp_path / "victim.log")
    survivor = member_process(env, tmp_path / "survivor.log")
    try:
        wait_until(lambda: len(sim.records("salesOrder")) >= 60, 60, "both members writing")
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait(10)
        wait_until(lambda: len(sim.records("salesOrder")) >= 300, 120, "all 300 orders after the kill")
    finally:
        for proc in (victim, survivor):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(60)
    assert survivor.returncode == 0, (tmp_path / "survivor.log").read_text()[-2000:]

    sales_orders = sim.records("salesOrder")
    assert Counter(r["externalId"] for r in sales_orders) == Counter(
        {f"WOO_ORDER_{o['id']}": 1 for o in orders}
    )
    by_id = {f"WOO_ORDER_{o['id']}": o for o in orders}
    for record in sales_orders:
        order = by_id[record["externalId"]]
        products = [line for line in record["item"]["items"] if line["item"]["id"] not in {"901", "904"}]
        assert len(products) == len(order["line_items"]), "no duplicated lines"
    customers = Counter(c["externalId"] for c in sim.records("customer"))
    assert max(customers.values()) == 1
    assert set(customers) == {f"WOO_CUST_{o['customer_id']}" for o in orders}
