"""`python -m consumer topics` (the contract's command) against the real broker: idempotent."""

from __future__ import annotations

import logging
import subprocess

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from common.kafka_settings import MAX_MESSAGE_BYTES, KafkaSettings
from consumer.topics import ensure_topics
from tests import cli
from tests.conftest import Broker
from tests.kafka_fixture import create_topic


def run_topics(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return cli.run("consumer", "topics", env=env, timeout_s=60)


def test_topics_are_created_once_with_the_configured_partitions(broker: Broker, unique_name: str) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": unique_name,
        "ORDERS_TOPIC_PARTITIONS": "2",
        "RETRY_DELAYS_SECONDS": "1,5",
    }
    names = [unique_name, f"{unique_name}.retry.1", f"{unique_name}.retry.2", f"{unique_name}.dlq"]
    names += [f"{unique_name}.memory", f"{unique_name}.customers"]  # the group's memory, compacted
    names += [f"{unique_name}.redrives", f"{unique_name}.reconcile"]  # what redrive and reconcile know

    first = run_topics(env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [f"{n}: created" for n in names]
    again = run_topics(env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [f"{n}: exists" for n in names]

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    topics = admin.list_topics(timeout=10).topics
    assert {n: len(topics[n].partitions) for n in names} == dict.fromkeys(names, 2)
    resource = ConfigResource(ConfigResource.Type.TOPIC, unique_name)
    configs = admin.describe_configs([resource])[resource].result(timeout=10)
    assert configs["max.message.bytes"].value == str(MAX_MESSAGE_BYTES)
    for compacted in ("customers", "memory", "redrives", "reconcile"):
        resource = ConfigResource(ConfigResource.Type.TOPIC, f"{unique_name}.{compacted}")
        configs = admin.describe_configs([resource])[resource].result(timeout=10)
        assert configs["cleanup.policy"].value == "compact,delete", compacted


def test_a_bad_setting_is_named_and_exits_2(unique_name: str) -> None:
    result = run_topics({"ORDERS_TOPIC_PARTITIONS": "zero"})
    assert result.returncode == 2
    assert "ORDERS_TOPIC_PARTITIONS" in result.stderr


def test_an_existing_topic_with_a_small_record_limit_is_reported_not_changed(
    broker: Broker, unique_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    create_topic(broker.bootstrap, unique_name, partitions=2)  # made by hand: the broker's default limit
    settings = KafkaSettings(
        kafka_bootstrap_servers=broker.bootstrap, orders_topic=unique_name, orders_topic_partitions=2
    )
    with caplog.at_level(logging.WARNING, logger="consumer.topics"):
        states = ensure_topics(settings)
    assert states[unique_name] == "exists"
    warned = [r.getMessage() for r in caplog.records if "max.message.bytes" in r.getMessage()]
    assert len(warned) == 1  # only the hand-made topic; the ones it created have the limit
    assert unique_name in warned[0]
