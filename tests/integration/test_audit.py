"""`python -m consumer audit`, end to end through its command line, against the WooCommerce and
NetSuite simulators after the pipeline wrote every order: it names exactly the orders someone broke
in NetSuite, `--repair` sends them through the pipeline again, and then it exits 0.

The orders reach Kafka as reconcile publishes them (the audit reads WooCommerce's REST API, so the
shop is the source); unpaid orders are not judged, paid ones cancelled later must not be open in NetSuite.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from consumer.settings import ConsumerSettings
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from devstack.woo_sim import WooSimConfig, WooSimulator
from tests import cli
from tests.conftest import Broker
from tests.integration.pipeline_harness import consumer_settings, create_topics, running_member, wait_until
from tests.unit.netsuite_sim_support import record_url, signed_session

pytestmark = pytest.mark.integration
START = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
SINCE = (START - timedelta(minutes=1)).isoformat()
UNPAID, CANCELLED = {4, 12}, {15}


@dataclass
class Stack:
    shop: WooSimulator
    netsuite: NetSuiteSimulator
    settings: ConsumerSettings
    env: dict[str, str]

    def sales_order(self, order_id: int) -> dict[str, object]:
        [found] = [
            r for r in self.netsuite.records("salesOrder") if r.get("externalId") == f"WOO_ORDER_{order_id}"
        ]
        return found


def command(env: dict[str, str], name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return cli.run("consumer", name, *args, env=env)


@pytest.fixture(scope="module")
def stack(broker: Broker) -> Iterator[Stack]:
    with (
        NetSuiteSimulator(SimulatorConfig(concurrency_limit=5, seed=5)) as netsuite,
        WooSimulator(WooSimConfig(timezone="Europe/Berlin")) as shop,
    ):
        settings = consumer_settings(broker.bootstrap, netsuite.env(), f"t-audit-{os.getpid()}")
        create_topics(settings)
        factory = OrderFactory(seed=23)
        for n in range(1, 21):
            status = "pending" if n in UNPAID else "cancelled" if n in CANCELLED else "processing"
            shop.create_order(factory.order(n, status=status), deliver=False, at=START + timedelta(seconds=n))
        env = {
            **shop.env(),
            **netsuite.env(),
            "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
            "ORDERS_TOPIC": settings.orders_topic,
            "RECONCILE_LAG_S": "0",
            "AUDIT_SETTLE_S": "0",  # judge changes made a moment ago too (the last test shows the default)
        }
        published = command(env, "reconcile", "--once", "--since", SINCE)
        assert published.returncode == 0, published.stderr
        stack = Stack(shop, netsuite, settings, env)
        with running_member(settings):
            wait_until(lambda: len(netsuite.records("salesOrder")) == 17, 60, "the 17 paid orders written")
        yield stack


def audit(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    return command(stack.env, "audit", "--since", SINCE, *args)


def findings(stack: Stack) -> dict[int, dict[str, object]]:
    result = audit(stack, "--json")
    assert result.returncode in (0, 1), result.stderr
    return {f["order_id"]: f for f in map(json.loads, result.stdout.splitlines())}


def test_after_a_clean_run_netsuite_matches(stack: Stack) -> None:
    result = audit(stack)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NetSuite matches WooCommerce: 17 orders audited" in result.stdout
    assert "3 not judged" in result.stdout  # 2 unpaid, 1 cancelled before it was paid
    assert findings(stack) == {}


def test_a_deleted_and_an_altered_sales_order_are_named_then_repaired(stack: Stack) -> None:
    session = signed_session(stack.netsuite)
    deleted = stack.sales_order(3)
    assert session.delete(record_url(stack.netsuite, f"salesOrder/{deleted['id']}")).status_code == 204
    altered = stack.sales_order(7)
    first_line = altered["item"]["items"][0]  # type: ignore[index]
    change = {"item": {"items": [{"line": first_line["line"], "amount": first_line["amount"] + 10}]}}
    assert (
        session.patch(record_url(stack.netsuite, f"salesOrder/{altered['id']}"), json=change).status_code
        == 204
    )

    result = audit(stack)
    assert result.returncode == 1
    assert "2 of 17 orders differ" in result.stdout
    assert "1 missing, 0 duplicated, 1 mismatched, 0 not closed" in result.stdout
    found = findings(stack)
    assert set(found) == {3, 7}
    assert found[3]["problem"] == "missing"
    assert found[7]["problem"] == "mismatched"
    assert found[7]["details"] == [f"total {altered['total']} expected, NetSuite has {altered['total'] + 10}"]

    # a replay would not help: the group remembers writing both, unchanged. --repair re-sends them
    repaired = audit(stack, "--repair")
    assert repaired.returncode == 1  # what it found; the repairs are on their way
    assert "repair: sent 2 order(s)" in repaired.stdout
    with running_member(stack.settings):
        wait_until(lambda: audit(stack).returncode == 0, 60, "the audit to pass after the repair")
    assert len(stack.netsuite.records("salesOrder")) == 17


def test_a_second_sales_order_for_an_order_is_a_duplicate_left_to_a_person(stack: Stack) -> None:
    original = stack.sales_order(9)
    copy = {
        "entity": original["entity"],
        "tranDate": original["tranDate"],
        "otherRefNum": original["otherRefNum"],
        "memo": original["memo"],
        "item": {
            "items": [{k: v for k, v in line.items() if k != "line"} for line in original["item"]["items"]]
        },  # type: ignore[index]
    }
    session = signed_session(stack.netsuite)
    created = session.post(record_url(stack.netsuite, "salesOrder"), json=copy)
    assert created.status_code == 204, created.text
    found = findings(stack)
    assert set(found) == {9}
    assert found[9]["problem"] == "duplicated"
    assert len(found[9]["netsuite_ids"]) == 2  # type: ignore[arg-type]
    repaired = audit(stack, "--repair")
    assert "repair: sent 0 order(s)" in repaired.stdout
    session.delete(created.headers["Location"])  # what the runbook asks a person to do
    assert audit(stack).returncode == 0


def test_a_cancellation_whose_webhook_never_came_is_named_then_closed_by_repair(stack: Stack) -> None:
    stack.shop.modify_order(5, {"status": "cancelled"}, deliver=False)  # WooCommerce never sent it
    found = findings(stack)
    assert set(found) == {5}
    assert found[5]["problem"] == "not_closed"
    lines = len(stack.sales_order(5)["item"]["items"])  # type: ignore[arg-type]
    assert found[5]["details"] == [f"cancelled in WooCommerce; {lines} of {lines} lines open in NetSuite"]
    repaired = audit(stack, "--repair")
    assert "repair: sent 1 order(s)" in repaired.stdout
    with running_member(stack.settings):
        wait_until(lambda: audit(stack).returncode == 0, 60, "the audit to pass once the order is closed")
    closed = stack.sales_order(5)
    assert all(line["isClosed"] for line in closed["item"]["items"])  # type: ignore[index]
    assert closed["status"] == {"id": "H", "refName": "Closed"}


def test_bad_arguments_exit_2(stack: Stack) -> None:
    assert command(stack.env, "audit").returncode == 2  # --since is required
    assert audit(stack, "--until", SINCE).returncode == 2  # until before since
    refused = command({**stack.env, "NETSUITE_TOKEN_SECRET": "wrong"}, "audit", "--since", SINCE)
    assert refused.returncode == 2
    assert "refused" in refused.stderr


def test_by_default_an_order_changed_moments_ago_is_not_judged_yet(stack: Stack) -> None:
    """It may still be on its way (webhook, retry topics): reported missing only once it settled."""
    stack.shop.create_order(OrderFactory(seed=99).order(21), deliver=False)  # paid, never delivered
    settling = command({**stack.env, "AUDIT_SETTLE_S": "300"}, "audit", "--since", SINCE)
    assert settling.returncode == 0, settling.stdout + settling.stderr  # 21 (and today's changes) wait
    assert "0 missing" in settling.stdout
    settled = audit(stack, "--json")  # AUDIT_SETTLE_S=0: as if five minutes had passed
    assert settled.returncode == 1
    assert [json.loads(line)["order_id"] for line in settled.stdout.splitlines()] == [21]
