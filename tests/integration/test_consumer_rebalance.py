"""Rebalances while retry partitions are held: nothing may stay paused with nobody to resume it.

librdkafka keeps a partition's pause flag across revoke and re-assign; a member that forgets it
paused a partition would never read it again (spring-kafka #2525 is the same bug in Java).
"""

from __future__ import annotations

import time

from confluent_kafka import Producer

from common import headers as h
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from tests.conftest import Broker
from tests.integration.pipeline_harness import (
    SERDE,
    consumer_settings,
    create_topics,
    event_for,
    running_member,
    wait_until,
)

HOLD_S = 45


def test_held_partitions_that_move_away_and_come_back_are_read_again(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    # held through B's join and leave: a due time is capped at the record's timestamp plus its
    # topic's delay, so the retry topics get a delay that long. The two cooperative rebalances take
    # ~20 s on a loaded 2-core CI box (a 20 s hold was missed by 26 ms there), so the hold is 45 s.
    settings = consumer_settings(
        broker.bootstrap,
        sim.env(),
        unique_name,
        orders_topic_partitions=2,
        retry_delays_seconds=f"{HOLD_S},{HOLD_S},{HOLD_S}",
    )
    create_topics(settings)
    due_ms = int((time.time() + HOLD_S) * 1000)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    factory = OrderFactory(seed=12)
    order_ids = []
    for topic in settings.retry_topics:
        for partition in (0, 1):
            event = event_for(factory.order(1000 + len(order_ids)))
            order_ids.append(event.order.id)
            producer.produce(
                topic,
                key=event.key,
                value=SERDE.encode(event),
                partition=partition,
                headers=[(h.ATTEMPT, b"1"), (h.DUE_AT_MS, str(due_ms).encode())],
            )
    assert producer.flush(10) == 0

    with running_member(settings) as a:
        wait_until(lambda: len(a.runner.held_partitions()) == 6, 20, "A holds all six retry partitions")
        with running_member(settings) as b:
            wait_until(lambda: b.runner.assigned_partitions(), 20, "B takes some partitions")
        wait_until(lambda: len(a.runner.assigned_partitions()) == 8, 20, "A owns every partition again")
        assert time.time() * 1000 < due_ms, "the rebalances must finish while the records are still held"
        wait_until(
            lambda: len(sim.records("salesOrder")) == 6, HOLD_S + 20, "every held order written once due"
        )

    assert {r["externalId"] for r in sim.records("salesOrder")} == {f"WOO_ORDER_{i}" for i in order_ids}
