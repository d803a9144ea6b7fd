"""Assemble one group member from its settings: client, governor, breakers, writer, handler, runner.

Kept apart from `__main__` so tests build a member in-process with the same wiring.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from common.publisher import KafkaPublisher
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.governor import Governor
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.changelog import MemoryLog
from consumer.pipeline.credentials import Credentials
from consumer.pipeline.dead_letters import DeadLetterBreaker, DeadLetterLimit
from consumer.pipeline.forward import Forwarder
from consumer.pipeline.halt import HaltReason, Halts, ProbedHalt
from consumer.pipeline.handle import MemberChecks, RecordHandler
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.outage import OutageBreaker, OutagePolicy
from consumer.pipeline.route import RetryPolicy
from consumer.pipeline.writer_setup import build_writer
from consumer.runner import Runner
from consumer.settings import ConsumerSettings
from schemas.serde import make_serde


@dataclass
class Member:
    runner: Runner
    client: NetSuiteClient
    governor: Governor
    halts: Halts
    checks: MemberChecks
    producer: KafkaPublisher
    stop: threading.Event
    stuck_after_s: float

    def run(self) -> None:
        try:
            self.runner.run()
        finally:
            self.producer.close(30.0)

    def close(self) -> None:
        """Release the clients of a member that was built but never run (`run` releases its own):
        left open, its producer's poll thread would go on reconnecting and logging."""
        self.runner._close_clients()
        self.producer.close(0)
        self.client.close()

    def problems(self) -> list[str]:
        """Liveness: what only a restart fixes (see `consumer.health`)."""
        found = [f"{reason} prober died" for reason in self.halts.dead_probers()]
        stuck_s = time.monotonic() - self.runner.last_turn
        if stuck_s > self.stuck_after_s:
            found.append(f"poll loop has not turned for {stuck_s:.0f}s")
        return found


def build_member(settings: ConsumerSettings, stop: threading.Event | None = None) -> Member:
    stop = stop or threading.Event()
    governor = Governor(settings.netsuite_concurrency)
    client = NetSuiteClient(settings, governor)
    memory = WriteMemory(
        orders_max=settings.consumer_memory_orders_max, customers_max=settings.consumer_memory_customers_max
    )
    calls = CallRetry(
        attempts=settings.netsuite_call_attempts,
        base_delay_s=settings.netsuite_call_backoff_s,
        sleep=stop.wait,  # a stop wakes a backoff at once; the record's lease then gives up
    )
    writer = build_writer(settings, client, calls, memory)
    policy = RetryPolicy(settings.orders_topic, settings.retry_delays_seconds)
    producer = KafkaPublisher({**settings.producer_config(), "client.id": "woo-consumer"})
    memory_log = None
    if settings.consumer_memory_topics:
        memory_log = MemoryLog(
            settings.client_config(), *settings.memory_topics, memory, settings.producer_config(linger_ms=20)
        )
    halts = Halts()
    probe_max = settings.halt_probe_max_interval_s
    outage = OutageBreaker(
        OutagePolicy(settings.netsuite_outage_after_s, settings.netsuite_outage_min_failures),
        client.probe,
        halts,
        stop,
        max_interval_s=probe_max,
    )
    client.observe(outage)
    serde = make_serde(settings.schema_registry_url, settings.registry_config())
    checks = MemberChecks(
        Credentials(client.probe, halts, stop, max_interval_s=probe_max),
        outage,
        DeadLetterBreaker(
            DeadLetterLimit(
                settings.dead_letter_breaker_ratio,
                settings.dead_letter_breaker_window,
                settings.dead_letter_breaker_consecutive,
            ),
            halts,
        ),
        ProbedHalt(HaltReason.SCHEMA_REGISTRY, serde.probe, halts, stop, max_interval_s=probe_max),
    )
    handler = RecordHandler(
        serde,
        writer,
        policy,
        Forwarder(producer, settings.orders_topic),
        halts,
        checks,
        max_backoff_s=probe_max,
    )
    call_timeout_s = settings.netsuite_connect_timeout_s + settings.netsuite_read_timeout_s + 5
    runner = Runner(
        settings.consumer_config(),
        policy,
        handler,
        governor=governor,
        halts=halts,
        memory=memory,
        stop=stop,
        workers=settings.consumer_workers,
        max_buffered=settings.consumer_max_buffered,
        max_buffered_bytes=settings.consumer_max_buffered_bytes,
        max_uncommitted=settings.consumer_max_uncommitted,
        commit_interval_s=settings.consumer_commit_interval_s,
        call_timeout_s=call_timeout_s,
        lag_interval_s=settings.consumer_lag_interval_s,
        memory_log=memory_log,
        memory_restore_timeout_s=settings.consumer_memory_restore_timeout_s,
    )
    stuck_after_s = max(120.0, call_timeout_s + 60)
    return Member(runner, client, governor, halts, checks, producer, stop, stuck_after_s)
