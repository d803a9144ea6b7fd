"""Assemble one group member from its settings: client, governor, writer, handler, runner.

Kept apart from `__main__` so tests build a member in-process with the same wiring.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from common.publisher import KafkaPublisher
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.governor import Governor
from consumer.netsuite.items import ItemResolver
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.forward import Forwarder
from consumer.pipeline.halt import AuthHalt
from consumer.pipeline.handle import RecordHandler
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.route import RetryPolicy
from consumer.pipeline.sync import OrderWriter
from consumer.runner import Runner
from consumer.settings import ConsumerSettings
from schemas.serde import make_serde


@dataclass
class Member:
    runner: Runner
    client: NetSuiteClient
    governor: Governor
    halt: AuthHalt
    producer: KafkaPublisher
    stop: threading.Event

    def run(self) -> None:
        try:
            self.runner.run()
        finally:
            self.producer.close(30.0)


def build_member(settings: ConsumerSettings, stop: threading.Event | None = None) -> Member:
    stop = stop or threading.Event()
    governor = Governor(settings.netsuite_concurrency)
    client = NetSuiteClient(settings, governor)
    items = ItemResolver(client, ttl_s=settings.netsuite_item_cache_ttl_s)
    memory = WriteMemory()
    calls = CallRetry(
        attempts=settings.netsuite_call_attempts,
        base_delay_s=settings.netsuite_call_backoff_s,
        sleep=stop.wait,  # a stop wakes a backoff at once; the handler's `proceed` then gives up
    )
    writer = OrderWriter(client, items, settings.mapping_policy(), calls=calls, memory=memory)
    policy = RetryPolicy(settings.orders_topic, settings.retry_delays_seconds)
    producer = KafkaPublisher({**settings.producer_config(), "client.id": "woo-consumer"})
    halt = AuthHalt(client.probe, max_interval_s=settings.auth_probe_max_interval_s, stop=stop)
    handler = RecordHandler(
        make_serde(settings.schema_registry_url, settings.registry_config()),
        writer,
        policy,
        Forwarder(producer),
        halt,
        stop,
    )
    runner = Runner(
        settings.consumer_config(),
        settings.source_topics,
        set(settings.retry_topics),
        handler,
        governor=governor,
        halt=halt,
        memory=memory,
        stop=stop,
        workers=settings.consumer_workers,
        max_buffered=settings.consumer_max_buffered,
        commit_interval_s=settings.consumer_commit_interval_s,
        lag_interval_s=settings.consumer_lag_interval_s,
    )
    return Member(runner, client, governor, halt, producer, stop)
