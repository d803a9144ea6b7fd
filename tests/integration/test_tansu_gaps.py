"""Known gaps of the embedded tansu broker, shown so tests work around them knowingly.

Real Kafka is the production target; product code is never bent around these. On another broker
(KAFKA_BOOTSTRAP_SERVERS, testcontainers) the same test asserts the correct behaviour instead.
"""

from __future__ import annotations

from confluent_kafka import Consumer, Producer, TopicPartition

from tests.conftest import Broker
from tests.kafka_fixture import create_topic


def test_list_offsets_latest_after_a_multi_record_batch(broker: Broker, unique_name: str) -> None:
    create_topic(broker.bootstrap, unique_name, partitions=1)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 100})
    for _ in range(5):
        producer.produce(unique_name, value=b"x")  # one batch of five records
    assert producer.flush(10) == 0
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique_name})
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(unique_name, 0), timeout=10)
    finally:
        consumer.close()
    if broker.kind == "tansu":
        # tansu 0.6 answers with the last batch's base offset + 1: our tests take end offsets
        # from delivery reports instead. When this starts failing, tansu fixed it: drop the workaround.
        assert high == 1
    else:
        assert high == 5


def test_offsets_for_times_after_the_last_record(broker: Broker, unique_name: str) -> None:
    """Kafka answers "no record at or after that time" with offset -1 (replay then moves to the end);
    tansu answers by batch write time and returns the first batch's offset instead."""
    import time

    create_topic(broker.bootstrap, unique_name, partitions=1)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for _ in range(3):
        producer.produce(unique_name, value=b"x")
        assert producer.flush(10) == 0
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": unique_name})
    try:
        later = int((time.time() + 3600) * 1000)
        [found] = consumer.offsets_for_times([TopicPartition(unique_name, 0, later)], timeout=10)
    finally:
        consumer.close()
    if broker.kind == "tansu":
        # When this starts failing, tansu fixed it: drop the workaround in test_operator_commands.py.
        assert found.offset == 0
    else:
        assert found.offset == -1
