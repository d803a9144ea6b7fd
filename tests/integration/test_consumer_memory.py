"""The group's memory in Kafka (consumer/pipeline/changelog.py): what it saves, and what it makes safe.

Members are restarted between phases; NetSuite calls are counted by operation from the client's
request histogram (process-wide, so as deltas).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from prometheus_client import REGISTRY

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
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


class Calls:
    """NetSuite requests per operation since `mark()`."""

    def __init__(self) -> None:
        self._start: dict[str, float] = {}

    @staticmethod
    def _now() -> dict[str, float]:
        out: dict[str, float] = {}
        for metric in REGISTRY.collect():
            for s in metric.samples:
                if s.name == "woo_netsuite_request_seconds_count":
                    out[s.labels["operation"]] = out.get(s.labels["operation"], 0.0) + s.value
        return out

    def mark(self) -> None:
        self._start = self._now()

    def __call__(self) -> dict[str, int]:
        now = self._now()
        return {op: int(n - self._start.get(op, 0)) for op, n in now.items() if n > self._start.get(op, 0)}


@pytest.fixture
def calls() -> Calls:
    return Calls()


def drained(broker: Broker, group: str, topic: str, ends: dict[int, int]) -> bool:
    committed = committed_offsets(broker.bootstrap, group, topic, 3)
    return all(committed.get(p, -1) >= end for p, end in ends.items())


def orders_for(customers: list[dict[str, Any]], first_id: int) -> list[dict[str, Any]]:
    factory = OrderFactory(seed=31, repeat_customers=0)
    out = []
    for n, customer in enumerate(customers):
        order = factory.order(first_id + n)
        order.update({k: customer[k] for k in ("customer_id", "billing", "shipping")})
        out.append(order)
    return out


@pytest.mark.parametrize("memory_topics", [True, False])
def test_a_returning_customer_costs_one_call_after_a_restart_only_with_the_groups_memory(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, calls: Calls, memory_topics: bool
) -> None:
    settings = consumer_settings(
        broker.bootstrap, sim.env(), unique_name, consumer_memory_topics=memory_topics
    )
    create_topics(settings)
    factory = OrderFactory(seed=30, repeat_customers=0)
    first = [factory.order(n) for n in range(1, 11)]  # 10 customers
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in first])
    with running_member(settings):
        wait_until(lambda: drained(broker, settings.consumer_group, settings.orders_topic, ends), 30, "first")

    calls.mark()
    again = orders_for(first, 100)  # each customer again, with the same addresses
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in again])
    with running_member(settings):  # restarted
        wait_until(lambda: drained(broker, settings.consumer_group, settings.orders_topic, ends), 30, "again")
    made = calls()
    assert made.get("upsert:salesOrder") == 10
    if memory_topics:
        assert made.get("upsert:customer", 0) == 0  # the customers were known: one call an order
        assert made.get("get:customer", 0) == 0
    else:
        assert made.get("upsert:customer") == 10  # forgotten with the member: written again


def test_a_late_copy_of_an_old_version_after_a_restart_is_skipped_without_a_call(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, calls: Calls
) -> None:
    """The README's old known limit: an `order.created` the member had no memory of was written
    blindly, so an older copy behind a newer update overwrote it after a restart."""
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    created = OrderFactory(seed=32).order(1)
    updated = json.loads(json.dumps(created))
    updated.update(date_modified_gmt="2026-12-01T10:00:00", customer_note="gift")
    updated["line_items"][0]["quantity"] += 1  # different content
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(updated, topic="order.updated")])
    with running_member(settings):
        wait_until(
            lambda: drained(broker, settings.consumer_group, settings.orders_topic, ends), 30, "update"
        )

    calls.mark()
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(created)])  # late, and older
    with running_member(settings):  # restarted
        wait_until(lambda: drained(broker, settings.consumer_group, settings.orders_topic, ends), 30, "late")
    [order] = sim.records("salesOrder")
    assert order["custbody_woo_modified_gmt"] == "2026-12-01T10:00:00"
    assert calls() == {}  # judged stale from memory: no NetSuite call at all


def test_replaying_everything_after_a_restart_rewrites_nothing(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, calls: Calls
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    create_topics(settings)
    factory = OrderFactory(seed=33)
    orders = [factory.order(n) for n in range(1, 21)]
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])
    with running_member(settings):
        wait_until(lambda: drained(broker, settings.consumer_group, settings.orders_topic, ends), 30, "first")
    before = sim.records("salesOrder")

    calls.mark()
    replay = consumer_settings(  # a new group reads the topic from the start: a full replay
        broker.bootstrap, sim.env(), unique_name, consumer_group=f"{unique_name}-replay"
    )
    with running_member(replay):
        wait_until(lambda: drained(broker, replay.consumer_group, settings.orders_topic, ends), 30, "replay")
    assert set(calls()) <= {"suiteql"}  # SKUs looked up again (a new member); nothing read or written
    assert sim.records("salesOrder") == before
