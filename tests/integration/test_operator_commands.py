"""`python -m consumer redrive` and `replay`, end to end, driven through the contract's command lines.

One scenario per command, each against the real broker and the NetSuite simulator, the commands run
as processes exactly as an operator (or the external acceptance tests) would run them.

tansu gap (tests/integration/test_tansu_gaps.py): ListOffsets(latest) answers the last batch's base
offset + 1, so records produced in one batch are undercounted by any reader that stops at the high
watermark — as `redrive` does, correctly for real Kafka. The members here run with one worker, so
each dead letter is produced (and acknowledged) on its own and is its own batch.
"""

from __future__ import annotations

import json
import subprocess
import time
from typing import Any

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from tests import cli
from tests.conftest import Broker
from tests.integration.pipeline_harness import (
    committed_offsets,
    consumer_settings,
    create_topics,
    event_for,
    produce,
    running_member,
    wait_until,
)


def command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return cli.run("consumer", *args, env=env)


def listed(env: dict[str, str]) -> list[dict[str, Any]]:
    result = command(env, "redrive", "--list", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def sales_orders(sim: NetSuiteSimulator) -> list[str]:
    return sorted(r["externalId"] for r in sim.records("salesOrder"))


def test_redrive_lists_sends_once_and_respects_the_limit(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, consumer_workers=1)
    create_topics(settings)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": settings.orders_topic,
        "CONSUMER_GROUP": settings.consumer_group,
        "REDRIVE_LIMIT": "1",
    }
    factory = OrderFactory(seed=41)
    orders = [
        factory.order(n, sku_override={3: "NEW-SKU", 6: "NEW-SKU", 9: "NEVER-SKU"}.get(n))
        for n in range(1, 13)
    ]
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])
    with running_member(settings):
        wait_until(lambda: len(sales_orders(sim)) == 9, 40, "the nine good orders")
        wait_until(lambda: len(listed(env)) == 3, 30, "three dead letters listed")

    dead = listed(env)
    assert sorted(d["order_id"] for d in dead) == ["3", "6", "9"]
    for d in dead:
        assert d["error_class"] == "Unmappable"
        assert (d["attempts"], d["redrive_count"], d["redriven"]) == (1, 0, False)
        assert d["original_topic"] == settings.orders_topic
        assert {
            "error_message",
            "original_partition",
            "original_offset",
            "dlq_partition",
            "dlq_offset",
        } <= set(d)
    readable = command(env, "redrive", "--list")
    assert readable.returncode == 0
    assert "ERROR CLASS" in readable.stdout
    assert "NEW-SKU" in readable.stdout
    assert "3 dead letter(s); 0 already redriven" in readable.stdout

    sim.add_items([{"type": "inventoryItem", "itemId": "NEW-SKU", "displayName": "created after the fact"}])
    dry = command(env, "redrive", "--all", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would send 3" in dry.stdout
    assert not any(d["redriven"] for d in listed(env))  # a dry run sends and records nothing

    first = command(env, "redrive", "--all")
    assert first.returncode == 0, first.stderr
    assert "sent 3, already redriven 0, refused 0" in first.stdout
    again = command(env, "redrive", "--all")
    assert again.returncode == 0, again.stderr
    assert "sent 0, already redriven 3, refused 0" in again.stdout  # remembered in Kafka, not on disk

    with running_member(settings):
        wait_until(lambda: len(sales_orders(sim)) == 11, 40, "the two NEW-SKU orders written")
        wait_until(lambda: len(listed(env)) == 4, 30, "NEVER-SKU dead-lettered again")
    assert sales_orders(sim) == sorted(f"WOO_ORDER_{n}" for n in range(1, 13) if n != 9)  # once each

    again_dead = [d for d in listed(env) if not d["redriven"]]
    assert [(d["order_id"], d["redrive_count"]) for d in again_dead] == [("9", 1)]
    refused = command(env, "redrive", "--order", "9")
    assert refused.returncode == 3
    assert "REDRIVE_LIMIT=1" in refused.stdout
    assert "sent 0, already redriven 1, refused 1" in refused.stdout
    forced = command(env, "redrive", "--order", "9", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "sent 1" in forced.stdout


def test_redrive_refuses_bad_arguments_with_exit_2(broker: Broker, unique_name: str) -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap, "ORDERS_TOPIC": unique_name}
    assert command(env, "redrive").returncode == 2  # nothing chosen
    assert command(env, "redrive", "--all", "--since", "yesterday").returncode == 2
    missing = command(env, "redrive", "--list")  # the topics were never created
    assert missing.returncode == 2
    assert "python -m consumer topics" in missing.stderr


def test_replay_is_refused_while_members_run_and_a_full_replay_changes_nothing_in_netsuite(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": settings.orders_topic,
        "CONSUMER_GROUP": settings.consumer_group,
    }
    factory = OrderFactory(seed=42)
    orders = [factory.order(n) for n in range(1, 21)]
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])

    def drained() -> bool:
        committed = committed_offsets(broker.bootstrap, settings.consumer_group, settings.orders_topic, 3)
        return all(committed.get(p, -1) >= end for p, end in ends.items())

    with running_member(settings):
        wait_until(drained, 40, "every order written")
        busy = command(env, "replay", "--to", "earliest")
        assert busy.returncode == 3
        assert "active members" in busy.stderr
        assert "replicas=0" in busy.stderr
    before = {r["externalId"]: r for r in sim.records("salesOrder")}
    customers = len(sim.records("customer"))

    dry = command(env, "replay", "--to", "earliest", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would move (dry run)" in dry.stdout
    assert f"{'total':<30}{sum(ends.values()):>15}" in dry.stdout
    assert drained()  # nothing moved

    done = command(env, "replay", "--to", "earliest")
    assert done.returncode == 0, done.stderr
    assert committed_offsets(broker.bootstrap, settings.consumer_group, settings.orders_topic, 3) == {
        p: 0 for p in range(3)
    }
    with running_member(settings):
        wait_until(drained, 40, "every order processed again")
    after = {r["externalId"]: r for r in sim.records("salesOrder")}
    assert after == before  # one each, same lines and totals: the replay rewrote nothing
    assert len(sim.records("customer")) == customers

    # by offset, and by time: `latest` skips, an offset past the end is clamped to it
    latest = command(env, "replay", "--to", "latest", "--partition", "0", "--dry-run")
    assert latest.returncode == 0
    assert "RECORDS AGAIN" in latest.stdout
    clamped = command(env, "replay", "--to", "1000000", "--partition", "0", "--dry-run")
    assert f"{ends.get(0, 0):>10}" in clamped.stdout.splitlines()[2]
    future = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
    by_time = command(env, "replay", "--to", future, "--dry-run")  # no record that late: the end
    assert by_time.returncode == 0, by_time.stderr
    # tansu answers a time after the last record with the first offset (test_tansu_gaps.py), so on
    # tansu the same command moves to the start; Kafka answers -1 and replay moves to the end
    expected = sum(ends.values()) if broker.kind == "tansu" else 0
    assert f"{'total':<30}{expected:>15}" in by_time.stdout
    assert command(env, "replay", "--to", "2026-12-01T09:30:00+02:00").returncode == 2  # UTC only
