"""`consumer topics` without a broker: what it plans, and what it says about single-replica topics."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from common.kafka_settings import KafkaSettings
from consumer import topics


class FakeAdmin:
    """An AdminClient of a cluster with `brokers` brokers where every topic is created."""

    brokers = 3

    def __init__(self, config: dict[str, Any]) -> None: ...

    def list_topics(self, timeout: float) -> Any:
        return type("Md", (), {"brokers": dict.fromkeys(range(self.brokers)), "topics": {}})

    def create_topics(self, new: list[Any], **_: Any) -> dict[str, Future[None]]:
        out: dict[str, Future[None]] = {}
        for topic in new:
            done: Future[None] = Future()
            done.set_result(None)
            out[topic.topic] = done
        return out


@pytest.mark.parametrize(("replication", "warned"), [(1, True), (3, False)])
def test_single_replica_topics_on_a_multi_broker_cluster_are_warned_about(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, replication: int, warned: bool
) -> None:
    monkeypatch.setattr(topics, "AdminClient", FakeAdmin)
    settings = KafkaSettings(orders_topic_replication=replication)
    with caplog.at_level(logging.WARNING, logger="consumer.topics"):
        topics.ensure_topics(settings)
    assert ("ORDERS_TOPIC_REPLICATION=3" in caplog.text) is warned


def test_replicated_topics_want_two_in_sync_replicas() -> None:
    for plan in topics.plan_topics(KafkaSettings(orders_topic_replication=3)):
        assert (plan.replication, plan.config["min.insync.replicas"]) == (3, "2")
    single = topics.plan_topics(KafkaSettings())
    assert all("min.insync.replicas" not in p.config for p in single)


class ExistingTopicsAdmin(FakeAdmin):
    """Every topic exists already; the principal may create topics but not read their configs."""

    def create_topics(self, new: list[Any], **_: Any) -> dict[str, Future[None]]:
        out: dict[str, Future[None]] = {}
        for topic in new:
            exists: Future[None] = Future()
            exists.set_exception(KafkaException(KafkaError(KafkaError.TOPIC_ALREADY_EXISTS)))
            out[topic.topic] = exists
        return out

    def describe_configs(self, resources: list[Any], **_: Any) -> dict[Any, Future[Any]]:
        out: dict[Any, Future[Any]] = {}
        for resource in resources:
            refused: Future[Any] = Future()
            refused.set_exception(KafkaException(KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED)))
            out[resource] = refused
        return out


def test_a_record_limit_it_may_not_read_is_a_warning_not_a_failure(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every topic exists: `topics` has done its job. The record-limit check after it is advice; a
    principal without DescribeConfigs must not turn it into a refusal (exit 3 on every run)."""
    monkeypatch.setattr(topics, "AdminClient", ExistingTopicsAdmin)
    with caplog.at_level(logging.WARNING, logger="consumer.topics"):
        states = topics.ensure_topics(KafkaSettings())
    assert set(states.values()) == {"exists"}
    assert "record limit not checked" in caplog.text
    assert "TOPIC_AUTHORIZATION_FAILED" in caplog.text
