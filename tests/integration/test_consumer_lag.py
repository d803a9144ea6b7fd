"""Partition lag measured from the broker: before any commit of this member, and after a commit."""

from __future__ import annotations

from confluent_kafka import Consumer, Producer, TopicPartition
from prometheus_client import REGISTRY

from consumer.lag import LagReporter
from tests.conftest import Broker
from tests.integration.pipeline_harness import wait_until
from tests.kafka_fixture import create_topic


def produce_one_by_one(bootstrap: str, topic: str, count: int) -> None:
    # One record per batch: tansu answers ListOffsets(latest) with the last *batch's* base offset + 1
    # (test_tansu_gaps.py), which is the true high watermark only when that batch holds one record.
    producer = Producer({"bootstrap.servers": bootstrap})
    for n in range(count):
        producer.produce(topic, key=str(n).encode(), value=b"v", partition=0)
        assert producer.flush(10) == 0


def lag_gauge(topic: str) -> float | None:
    return REGISTRY.get_sample_value("woo_consumer_partition_lag", {"topic": topic, "partition": "0"})


def test_lag_is_reported_without_a_commit_of_ours_and_follows_the_groups_commits(
    broker: Broker, unique_name: str
) -> None:
    create_topic(broker.bootstrap, unique_name, partitions=1)
    produce_one_by_one(broker.bootstrap, unique_name, 5)
    config = {
        "bootstrap.servers": broker.bootstrap,
        "group.id": f"{unique_name}-group",
        "enable.auto.commit": False,
    }
    reporter = LagReporter(config, lambda: {(unique_name, 0)})
    client = reporter.client()
    try:
        assert reporter.measure(client) == {(unique_name, 0): 5}  # the group never committed
        assert lag_gauge(unique_name) is None  # measured on the side, exported by the poll thread

        reporter.refresh(client)  # what the reporter's thread does each round
        assert reporter.publish({(unique_name, 0)}) == {(unique_name, 0): 5}
        assert lag_gauge(unique_name) == 5

        committer = Consumer(config)  # the group commits offset 2: records 0 and 1 are done
        committer.commit(offsets=[TopicPartition(unique_name, 0, 2)], asynchronous=False)
        committer.close()
        assert reporter.measure(client) == {(unique_name, 0): 3}
    finally:
        client.close()


def test_a_partition_revoked_after_its_measurement_gets_no_series(broker: Broker, unique_name: str) -> None:
    create_topic(broker.bootstrap, unique_name, partitions=1)
    config = {"bootstrap.servers": broker.bootstrap, "group.id": f"{unique_name}-group"}
    reporter = LagReporter(config, lambda: {(unique_name, 0)})
    client = reporter.client()
    try:
        assert reporter.refresh(client) == {(unique_name, 0): 0}
        assert reporter.publish(set()) == {}  # revoked before the poll thread exported it
        assert lag_gauge(unique_name) is None
    finally:
        client.close()


def test_the_reporter_thread_measures_and_stops_on_close(broker: Broker, unique_name: str) -> None:
    create_topic(broker.bootstrap, unique_name, partitions=1)
    produce_one_by_one(broker.bootstrap, unique_name, 2)
    config = {"bootstrap.servers": broker.bootstrap, "group.id": f"{unique_name}-group"}
    reporter = LagReporter(config, lambda: {(unique_name, 0)}, interval_s=0.05)
    reporter.start()
    try:
        wait_until(lambda: reporter.publish({(unique_name, 0)}), 10, "a measurement")
        assert lag_gauge(unique_name) == 2
    finally:
        reporter.close()
    assert not reporter._thread.is_alive()
