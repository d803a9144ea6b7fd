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


def test_a_member_whose_topics_are_missing_refuses_to_start_and_names_the_fix(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    """Without its retry topics a member would spin forever on forwards to a topic that is not there."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from consumer.topics import MissingTopics

    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name)
    with pytest.raises(MissingTopics, match=r"\.retry\.1.*python -m consumer topics"):
        build_member(settings).run()

    env = {
        **os.environ,
        **sim.env(),
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": settings.orders_topic,
        "METRICS_PORT": "0",
    }
    result = subprocess.run(
        [sys.executable, "-m", "consumer"],
        cwd=Path(__file__).parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "python -m consumer topics" in result.stderr


def test_ready_only_once_in_the_group_even_with_nothing_to_own(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    """It answered ready right after subscribing, before joining: a member that never joins (an
    unreachable broker, a wrong group) looked healthy. The second member of a one-partition group
    owns nothing and is ready all the same."""
    from tests.integration.pipeline_harness import running_member, wait_until

    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, orders_topic_partitions=1)
    create_topics(settings)
    first = build_member(settings)
    try:
        assert not first.runner.ready  # built, not in the group
        with running_member(settings) as a:
            wait_until(lambda: a.runner.ready, 30, "the first member joins")
            with running_member(settings) as b:
                wait_until(lambda: b.runner.ready, 30, "the second member joins, with nothing to own")
                assert a.runner.assigned_partitions() | b.runner.assigned_partitions()
    finally:
        first.close()
