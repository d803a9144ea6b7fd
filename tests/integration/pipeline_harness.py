"""Drive the consumer end to end in tests: produce order events, run members, inspect the outcome.

Members run in-process (threads) for speed; the crash test runs real processes instead.
Waiting is always "poll a condition until a deadline", never a bare sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition

from consumer.settings import ConsumerSettings
from consumer.topics import ensure_topics
from devstack.demo_orders import OrderFactory
from devstack.member_thread import running_member
from devstack.netsuite_sim import NetSuiteSimulator
from schemas import OrderEvent, WooOrder
from schemas.serde import SingleObjectSerde
from tests.conftest import TEST_SESSION_TIMEOUT_MS

SERDE = SingleObjectSerde()


def wait_until(condition: Callable[[], Any], timeout_s: float, what: str, interval_s: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for: {what}")
        time.sleep(interval_s)


def consumer_settings(
    bootstrap: str, sim_env: dict[str, str], prefix: str, **overrides: Any
) -> ConsumerSettings:
    values: dict[str, Any] = {
        "kafka_bootstrap_servers": bootstrap,
        "orders_topic": f"{prefix}.orders",
        "consumer_group": f"{prefix}-group",
        "orders_topic_partitions": 3,
        "retry_delays_seconds": "0.5,1,1.5",
        "kafka_session_timeout_ms": TEST_SESSION_TIMEOUT_MS,
        "consumer_commit_interval_s": 0.2,
        "metrics_port": 0,
        "netsuite_call_backoff_s": 0.02,
        **{k.lower(): v for k, v in sim_env.items()},
    }
    values.update(overrides)
    return ConsumerSettings(**values)


def create_topics(settings: ConsumerSettings) -> None:
    ensure_topics(settings)


def event_for(order: dict[str, Any], *, topic: str = "order.created") -> OrderEvent:
    import json

    raw = json.dumps(order).encode()
    return OrderEvent(
        order=WooOrder.model_validate(order),
        webhook_topic=topic,
        received_at_ms=int(time.time() * 1000),
        raw_body=raw,
    )


def produce(bootstrap: str, topic: str, events: list[OrderEvent]) -> dict[int, int]:
    """Produce and return the end offset (last offset + 1) per partition, from the delivery reports.

    The ends come from the acknowledgements, not from ListOffsets: tansu answers ListOffsets(latest)
    with the last batch's base offset + 1 (see test_tansu_gaps.py).
    """
    producer = Producer(
        {"bootstrap.servers": bootstrap, "enable.idempotence": True, "partitioner": "murmur2_random"}
    )
    ends: dict[int, int] = {}

    def on_delivery(err: Any, msg: Any) -> None:
        assert err is None, err
        ends[msg.partition()] = max(ends.get(msg.partition(), 0), msg.offset() + 1)

    for event in events:
        producer.produce(topic, key=event.key, value=SERDE.encode(event), on_delivery=on_delivery)
    assert producer.flush(30) == 0
    return ends


def produce_raw(bootstrap: str, topic: str, key: bytes, value: bytes) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, key=key, value=value)
    assert producer.flush(30) == 0


def committed_offsets(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        parts = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in parts}
    finally:
        consumer.close()


__all__ = ["OrderFactory", "running_member"]


def by_external_id(sim: NetSuiteSimulator, record_type: str = "salesOrder") -> dict[str, dict[str, Any]]:
    """The simulator's records of a type, by external id."""
    return {r["externalId"]: r for r in sim.records(record_type)}
