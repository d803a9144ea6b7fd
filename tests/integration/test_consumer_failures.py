"""NetSuite throttling, errors and outages; poison orders; wrong credentials — nothing is lost."""

from __future__ import annotations

from collections import Counter

from common import headers as h
from consumer import metrics
from consumer.pipeline.halt import HaltReason
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import Faults, NetSuiteSimulator
from tests.conftest import Broker
from tests.integration.conftest import MetricDelta
from tests.integration.pipeline_harness import (
    committed_offsets,
    consumer_settings,
    create_topics,
    event_for,
    produce,
    produce_raw,
    running_member,
    wait_until,
)
from tests.kafka_fixture import read_all


def sales_order_ids(sim: NetSuiteSimulator) -> Counter[str]:
    return Counter(r["externalId"] for r in sim.records("salesOrder"))


def test_flaky_netsuite_loses_nothing_and_dead_letters_nothing(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    sim.set_faults(Faults(error_rate=0.3, throttle_rate=0.1, latency_ms=5))
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, retry_delays_seconds="0.3,0.6,1")
    create_topics(settings)
    metric_delta.mark_sum("woo_consumer_call_retries_total", "error_class")
    metric_delta.mark_sum("woo_consumer_dead_lettered_total", "error_class")
    factory = OrderFactory(seed=5)
    orders = [factory.order(n) for n in range(1, 101)]
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])

    with running_member(settings):
        wait_until(lambda: len(sales_order_ids(sim)) >= 100, 90, "100 sales orders despite the faults")

    assert set(sales_order_ids(sim)) == {f"WOO_ORDER_{o['id']}" for o in orders}
    stats = sim.stats()
    assert stats["by_status"].get(503, 0) + stats["by_status"].get("503", 0) > 0
    assert metric_delta.sum("woo_consumer_call_retries_total", "error_class") > 0
    assert metric_delta.sum("woo_consumer_dead_lettered_total", "error_class") == 0
    assert read_all(broker.bootstrap, settings.dead_letter_topic, 3, timeout_s=2) == []


def test_an_outage_longer_than_two_retry_delays_flows_through_the_retry_topics(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    settings = consumer_settings(
        broker.bootstrap, sim.env(), unique_name, retry_delays_seconds="0.5,1,30", netsuite_call_attempts=2
    )
    create_topics(settings)
    metric_delta.mark("woo_consumer_retried_total", level="2")
    metric_delta.mark("woo_consumer_retried_total", level="3")
    sim.set_faults(Faults(outage=True))
    factory = OrderFactory(seed=6)
    orders = [factory.order(n) for n in range(1, 21)]
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])

    with running_member(settings):
        # every order failed on the main topic and again on .retry.1: the outage outlived two delays
        wait_until(lambda: metric_delta("woo_consumer_retried_total", level="2") >= 20, 30, "retry level 2")
        sim.set_faults(Faults())  # NetSuite is back
        wait_until(lambda: len(sales_order_ids(sim)) >= 20, 40, "every order landed after the outage")

    assert set(sales_order_ids(sim)) == {f"WOO_ORDER_{o['id']}" for o in orders}
    assert read_all(broker.bootstrap, settings.dead_letter_topic, 3, timeout_s=2) == []


def test_a_poison_order_is_dead_lettered_and_the_orders_behind_it_are_written(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, orders_topic_partitions=1)
    create_topics(settings)
    factory = OrderFactory(seed=8)
    orders = [factory.order(n, sku_override="NO-SUCH-SKU" if n == 11 else None) for n in range(1, 22)]
    ends = produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in orders])

    with running_member(settings):
        wait_until(lambda: len(sales_order_ids(sim)) >= 20, 30, "the 20 good orders")
        wait_until(
            lambda: (
                committed_offsets(broker.bootstrap, settings.consumer_group, settings.orders_topic, 1) == ends
            ),
            20,
            "offsets committed past the poison order",
        )

    assert "WOO_ORDER_11" not in sales_order_ids(sim)
    (dead,) = read_all(broker.bootstrap, settings.dead_letter_topic, 1)
    hdrs = {k: v.decode() for k, v in dead.headers()}
    assert dead.key() == b"11"
    assert hdrs[h.ERROR_CLASS] == "Unmappable"
    assert "NO-SUCH-SKU" in hdrs[h.ERROR_MESSAGE]
    assert hdrs[h.ORIGINAL_TOPIC] == settings.orders_topic
    assert hdrs[h.ORIGINAL_PARTITION] == "0"
    assert hdrs[h.ORIGINAL_OFFSET] == "10"
    assert hdrs[h.ATTEMPT] == "1"


def test_wrong_credentials_halt_without_losing_or_dead_lettering_anything(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    good = sim.env()
    bad = consumer_settings(
        broker.bootstrap,
        {**good, "NETSUITE_TOKEN_SECRET": "not-the-secret"},
        unique_name,
        halt_probe_max_interval_s=1,
    )
    create_topics(bad)
    factory = OrderFactory(seed=9)
    orders = [factory.order(n) for n in range(1, 31)]
    ends = produce(broker.bootstrap, bad.orders_topic, [event_for(o) for o in orders])

    with running_member(bad) as member:
        wait_until(lambda: member.halts.engaged(HaltReason.CREDENTIALS), 20, "the member halts on 401")
        # The workers' own first tries fail together before the halt; count the probes after them.
        at_halt = sim.stats()["auth_failures"]
        wait_until(lambda: sim.stats()["auth_failures"] >= at_halt + 2, 20, "probes keep failing")
        wait_until(lambda: metrics.READY._value.get() == 0, 2, "readiness reports the halt within a turn")
        assert sim.records("salesOrder") == []
    assert read_all(broker.bootstrap, bad.dead_letter_topic, 3, timeout_s=2) == []
    assert all(
        offset < 0 or offset < ends.get(p, 0)
        for p, offset in committed_offsets(broker.bootstrap, bad.consumer_group, bad.orders_topic, 3).items()
    )

    fixed = consumer_settings(broker.bootstrap, good, unique_name)
    with running_member(fixed):
        wait_until(lambda: len(sales_order_ids(sim)) >= 30, 30, "every order after the secret is fixed")
    assert set(sales_order_ids(sim)) == {f"WOO_ORDER_{o['id']}" for o in orders}


def test_an_undecodable_message_is_dead_lettered_and_the_orders_behind_it_are_written(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str
) -> None:
    settings = consumer_settings(broker.bootstrap, sim.env(), unique_name, orders_topic_partitions=1)
    create_topics(settings)
    factory = OrderFactory(seed=10)
    produce(broker.bootstrap, settings.orders_topic, [event_for(factory.order(n)) for n in range(1, 4)])
    produce_raw(broker.bootstrap, settings.orders_topic, b"404", b'{"id": 404, "not": "avro"}')
    later = [factory.order(n) for n in range(4, 7)]
    produce(broker.bootstrap, settings.orders_topic, [event_for(o) for o in later])

    with running_member(settings):
        wait_until(lambda: len(sales_order_ids(sim)) >= 6, 30, "the six orders around the bad message")
        (dead,) = wait_until(
            lambda: read_all(broker.bootstrap, settings.dead_letter_topic, 1, timeout_s=1),
            20,
            "a dead letter",
        )

    hdrs = {k: v.decode() for k, v in dead.headers()}
    assert (dead.key(), dead.value()) == (b"404", b'{"id": 404, "not": "avro"}')  # kept as it came
    assert hdrs[h.ERROR_CLASS] == "Undecodable"
    assert hdrs[h.ORIGINAL_OFFSET] == "3"
    assert h.DUE_AT_MS not in hdrs
    assert set(sales_order_ids(sim)) == {f"WOO_ORDER_{n}" for n in range(1, 7)}


def test_a_failure_that_outlasts_every_retry_topic_is_dead_lettered_with_its_history(
    broker: Broker, sim: NetSuiteSimulator, unique_name: str, metric_delta: MetricDelta
) -> None:
    """While NetSuite is down the record waits, whatever its attempts (an outage never dead-letters,
    even for the member's first record: start-up is no evidence NetSuite answers); once NetSuite
    answers but this one order keeps failing, it walks the rest of the chain to the dead-letter topic."""
    settings = consumer_settings(
        broker.bootstrap,
        sim.env(),
        unique_name,
        retry_delays_seconds="0.3,0.6",
        netsuite_call_attempts=1,
        orders_topic_partitions=1,
        halt_probe_max_interval_s=1,
    )
    create_topics(settings)
    metric_delta.mark("woo_consumer_dead_lettered_total", error_class="Transient")
    sim.set_faults(Faults(outage=True))
    order = OrderFactory(seed=11).order(1)
    produce(broker.bootstrap, settings.orders_topic, [event_for(order)])

    with running_member(settings) as member:
        wait_until(lambda: member.halts.engaged(HaltReason.NETSUITE_OUTAGE), 20, "the record waits")
        assert read_all(broker.bootstrap, settings.dead_letter_topic, 1, timeout_s=1) == []
        sim.set_faults(Faults(failing_paths=("WOO_ORDER_1",)))  # NetSuite is back; this order is not
        wait_until(
            lambda: metric_delta("woo_consumer_dead_lettered_total", error_class="Transient") >= 1,
            30,
            "dead-lettered after the last retry topic",
        )

    assert [m.key() for m in read_all(broker.bootstrap, f"{settings.orders_topic}.retry.1", 1)] == [b"1"]
    assert [m.key() for m in read_all(broker.bootstrap, f"{settings.orders_topic}.retry.2", 1)] == [b"1"]
    (dead,) = read_all(broker.bootstrap, settings.dead_letter_topic, 1)
    hdrs = {k: v.decode() for k, v in dead.headers()}
    assert hdrs[h.ERROR_CLASS] == "Transient"
    assert hdrs[h.ATTEMPT] == "3"  # main topic, .retry.1, .retry.2
    assert hdrs[h.ORIGINAL_TOPIC] == settings.orders_topic  # the first topic, not the last retry topic
    assert hdrs[h.ORIGINAL_OFFSET] == "0"
    assert sales_order_ids(sim) == Counter()
