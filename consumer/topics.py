"""Create the main, retry and dead-letter topics, idempotently (`python -m consumer topics`).

Every topic gets the same partition count so a key lands on the same partition number
everywhere; retry topics keep records long enough to survive the longest delay many times over,
and the dead-letter topic keeps them for people to inspect and redrive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.cimpl import NewTopic

from common.kafka_settings import MAX_MESSAGE_BYTES, KafkaSettings

log = logging.getLogger(__name__)

DAY_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class TopicPlan:
    name: str
    partitions: int
    replication: int
    config: dict[str, str]


def plan_topics(settings: KafkaSettings) -> list[TopicPlan]:
    """What `ensure_topics` creates: main (7 days), retry topics (7 days), dead letter (30 days), and
    the group's memory, compacted: the latest entry per order for 30 days, per customer for 365;
    the redrive log, compacted like the dead-letter topic's retention (30 days); and what reconcile
    knows, compacted, 30 days (its watermark is rewritten every pass)."""
    n, rf = settings.orders_topic_partitions, settings.orders_topic_replication
    shared = {"max.message.bytes": str(MAX_MESSAGE_BYTES)}
    if rf > 1:
        shared["min.insync.replicas"] = str(min(2, rf))
    plans = [TopicPlan(settings.orders_topic, n, rf, {"retention.ms": str(7 * DAY_MS), **shared})]
    plans += [TopicPlan(t, n, rf, {"retention.ms": str(7 * DAY_MS), **shared}) for t in settings.retry_topics]
    plans.append(TopicPlan(settings.dead_letter_topic, n, rf, {"retention.ms": str(30 * DAY_MS), **shared}))
    orders, customers = settings.memory_topics
    for name, days in (
        (orders, 30),
        (customers, 365),
        (settings.redrives_topic, 30),
        (settings.reconcile_topic, 30),
    ):
        compacted = {"cleanup.policy": "compact,delete", "retention.ms": str(days * DAY_MS)}
        plans.append(TopicPlan(name, n, rf, {**compacted, **shared}))
    return plans


class BrokerUnreachable(Exception):
    """No broker answered: one line naming the variables to check, instead of a traceback after
    30 s of librdkafka retrying."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(
            f"no Kafka broker answered within {timeout_s:.0f}s: check KAFKA_BOOTSTRAP_SERVERS "
            "(host:port, reachable from here) and, for a secured cluster, KAFKA_SECURITY_PROTOCOL, "
            "KAFKA_SASL_* and KAFKA_SSL_*"
        )


def kafka_reason(failure: KafkaException | KafkaError) -> str:
    """Kafka's own words for a failed request, e.g. `_TIMED_OUT: Local: Timed out`: what an operator
    command prints instead of a traceback (the error names no record data)."""
    err = failure.args[0] if isinstance(failure, KafkaException) and failure.args else failure
    if isinstance(err, KafkaError):
        return f"{err.name()}: {err.str()}"
    return str(failure)


def reachable(admin: AdminClient, timeout_s: float = 10.0) -> Any:
    """The cluster's metadata, or `BrokerUnreachable`."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException:
        raise BrokerUnreachable(timeout_s) from None
    if not metadata.brokers:
        raise BrokerUnreachable(timeout_s)
    return metadata


class MissingTopics(Exception):
    """A topic the member reads or writes does not exist: it must not start (it would spin on
    forwards to a topic that is not there, or never see its retries)."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            f"topic(s) missing: {', '.join(names)} — create them with `python -m consumer topics`"
        )
        self.names = names


def ensure_topics(settings: KafkaSettings, *, timeout_s: float = 30.0) -> dict[str, str]:
    """Create missing topics; report each as 'created' or 'exists'. Raises on any other error."""
    admin = AdminClient(settings.client_config())
    brokers = len(reachable(admin).brokers)
    plans = plan_topics(settings)
    if brokers > 1 and settings.orders_topic_replication == 1:
        log.warning(
            "creating topics with one replica on a cluster of %d brokers: losing one broker loses "
            "orders; set ORDERS_TOPIC_REPLICATION=3 (min.insync.replicas 2 follows) before creating them",
            brokers,
        )
    futures = admin.create_topics(
        [NewTopic(p.name, p.partitions, p.replication, config=p.config) for p in plans],
        request_timeout=timeout_s,
        operation_timeout=timeout_s,
    )
    result: dict[str, str] = {}
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
            result[name] = "created"
        except KafkaException as exc:
            error = exc.args[0]
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                result[name] = "exists"
            else:
                raise
    _warn_small_record_limit(admin, [n for n, state in result.items() if state == "exists"], timeout_s)
    existing = admin.list_topics(timeout=timeout_s).topics
    for plan in plans:
        have = len(existing[plan.name].partitions) if plan.name in existing else 0
        if have != plan.partitions:
            log.warning(
                "topic %s has %d partitions, settings ask for %d (not changed)",
                plan.name,
                have,
                plan.partitions,
            )
    return result


def _warn_small_record_limit(admin: AdminClient, names: list[str], timeout_s: float) -> None:
    """Topics made before us (or by hand) may keep Kafka's ~1 MB limit: say so, change nothing. Advice
    only: a config the principal may not read (no DescribeConfigs) or the broker does not send is
    logged, never a failure of the command (every topic exists by then)."""
    if not names:
        return
    resources = [ConfigResource(ConfigResource.Type.TOPIC, n) for n in names]
    for resource, future in admin.describe_configs(resources, request_timeout=timeout_s).items():
        try:
            entry = future.result(timeout=timeout_s).get("max.message.bytes")
        except (KafkaException, TimeoutError) as exc:
            reason = kafka_reason(exc) if isinstance(exc, KafkaException) else "no answer"
            log.warning("topic %s: record limit not checked (%s)", resource.name, reason)
            continue
        limit = int(entry.value) if entry is not None and entry.value else 0
        if limit < MAX_MESSAGE_BYTES:
            log.warning(
                "topic %s allows %s bytes per record batch, less than the %d a large order needs: "
                "kafka-configs --alter --entity-type topics --entity-name %s "
                "--add-config max.message.bytes=%d",
                resource.name,
                limit or "the broker default",
                MAX_MESSAGE_BYTES,
                resource.name,
                MAX_MESSAGE_BYTES,
            )
