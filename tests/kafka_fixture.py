"""Where the tests' broker comes from: `KAFKA_BOOTSTRAP_SERVERS`, else testcontainers' Kafka when a
Docker engine answers, else the embedded tansu. A test that needs a broker fails when none can be
had: it never skips (a skipped integration test would let CI pass without testing anything).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator

from confluent_kafka import Consumer, Message, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from devstack.broker import start_tansu


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=2)
        client.ping()
        return True
    except Exception:
        return False


def _assert_reachable(bootstrap: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.list_topics(timeout=15)  # raises KafkaException when no broker answers


@contextlib.contextmanager
def kafka_bootstrap() -> Iterator[tuple[str, str]]:
    """Yield (bootstrap servers, kind) for the session: kind is 'external', 'testcontainers' or 'tansu'."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        _assert_reachable(external)
        yield external, "external"
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer() as kafka:
            bootstrap = kafka.get_bootstrap_server()
            _assert_reachable(bootstrap)
            yield bootstrap, "testcontainers"
        return
    broker = start_tansu()
    try:
        _assert_reachable(broker.bootstrap)
        yield broker.bootstrap, "tansu"
    finally:
        broker.stop()


def create_topic(bootstrap: str, topic: str, partitions: int = 3, timeout_s: float = 15.0) -> None:
    """Create one topic for a test (tests use unique names, so it never exists yet)."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(topic, partitions, 1)], request_timeout=timeout_s)
    for future in futures.values():
        future.result(timeout_s)


def read_all(
    bootstrap: str, topic: str, partitions: int, timeout_s: float = 10, *, expect: int | None = None
) -> list[Message]:
    """Every record on `topic` (assign + read to the high watermark; no group).

    With `expect`, read until that many records arrived (or the timeout) whatever the watermarks
    say, then half a second more to catch any extra: tansu answers ListOffsets(latest) with the last
    batch's base offset + 1, so records produced in one batch are undercounted there
    (test_tansu_gaps.py), and a test that knows how many to expect should count them instead.
    """
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader", "enable.auto.commit": False})
    out: list[Message] = []
    try:
        ends = {}
        for p in range(partitions):
            _, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout_s)
            ends[p] = high
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        want = sum(ends.values()) if expect is None else expect
        deadline = time.monotonic() + timeout_s
        while len(out) < want and time.monotonic() < deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                out.append(msg)
        extra_until = time.monotonic() + (0.5 if expect is not None else 0)
        while time.monotonic() < extra_until:
            msg = consumer.poll(0.1)
            if msg is not None and msg.error() is None:
                out.append(msg)
    finally:
        consumer.close()
    return out
