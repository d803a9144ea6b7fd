"""A bug in a worker crashes the member loudly (never a clean exit) and commits nothing for it."""

from __future__ import annotations

import threading

import pytest

from consumer.member import build_member
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator
from tests.conftest import Broker
from tests.integration.pipeline_harness import (
    committed_offsets,
    consumer_settings,
    create_topics,
    event_for,
    produce,
)


def test_an_unexpected_error_in_a_worker_crashes_the_member(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, orders_topic_partitions=1)
    create_topics(settings)
    produce(broker.bootstrap, settings.orders_topic, [event_for(OrderFactory(seed=1).order(5))])
    member = build_member(settings)
    reached = threading.Event()

    def buggy(*_: object) -> bool:
        reached.set()
        raise RuntimeError("a bug outside the error tree")

    member.runner._handler.handle = buggy  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="outside the error tree"):
        member.run()
    assert reached.is_set()
    (committed,) = committed_offsets(
        broker.bootstrap, settings.consumer_group, settings.orders_topic, 1
    ).values()
    assert committed <= 0, "the failed record (offset 0) must be read again"
