"""Settings of one consumer-group member: Kafka, NetSuite, and how hard to work.

The `consumer_config()` method is the single place the group's librdkafka knobs are decided:
cooperative-sticky assignment, no auto commit (we commit the contiguous prefix of finished offsets
ourselves), earliest reset so a new group starts from the beginning of the topic.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from common.kafka_settings import ENV_FILE_CONFIG, KafkaSettings
from consumer.netsuite.settings import NetSuiteSettings

# How long the broker may hold a fetch for partitions without data. librdkafka sends a fetch as soon
# as one assigned partition is ready and adds the others only to the next one: after an assignment a
# fetch carrying one empty retry partition held the main partitions back for the whole wait (500 ms
# by default; librdkafka's debug log; bench.consumer: the first call 0.6 s after the join, not 0.25 s).
# Records arriving for a partition in the fetch answer it at once, so the steady state does not depend
# on it; the cost is a few more empty fetches a second while idle.
FETCH_WAIT_MAX_MS = 100


class ConsumerSettings(KafkaSettings, NetSuiteSettings):
    model_config = ENV_FILE_CONFIG

    consumer_group: str = Field("woo-netsuite-sync", description="consumer group id")
    kafka_session_timeout_ms: int = Field(45_000, ge=1000, description="consumer group session timeout")
    kafka_max_poll_interval_ms: int = Field(300_000, ge=1000, description="librdkafka max.poll.interval.ms")
    metrics_port: int = Field(9102, ge=0, le=65535, description="Prometheus + health port; 0 = off")
    metrics_host: str = Field("0.0.0.0", description="address the metrics/health port binds")  # noqa: S104
    consumer_workers: int = Field(0, ge=0, description="worker threads; 0 = 2 x NETSUITE_CONCURRENCY")
    consumer_max_buffered: int = Field(1000, ge=1, description="records held in memory before pausing")
    consumer_max_buffered_bytes: int = Field(
        64 * 1024 * 1024, ge=1024 * 1024, description="record bytes held in memory before pausing"
    )
    consumer_max_uncommitted: int = Field(
        5000,
        ge=1000,  # a fetch hands on up to 500 records past it; below ~2 fetches it would only throttle
        description="records of one partition handed on since its last acknowledged commit "
        "(what a crash redoes) before that partition pauses",
    )
    consumer_commit_interval_s: float = Field(
        1.0, gt=0, description="how often finished offsets are committed"
    )
    consumer_lag_interval_s: float = Field(
        15.0, gt=0, le=300, description="how often partition lag is measured from the broker"
    )
    netsuite_call_attempts: int = Field(
        4, ge=1, description="tries of one NetSuite call before a retry topic"
    )
    netsuite_call_backoff_s: float = Field(
        0.2, ge=0, description="first in-process backoff, doubled each try"
    )
    consumer_memory_topics: bool = Field(
        True, description="keep the group's memory in the .memory and .customers topics (restored on start)"
    )
    consumer_memory_restore_timeout_s: float = Field(
        120.0, gt=0, description="longest wait at start for the customer memory to be read"
    )
    consumer_memory_orders_max: int = Field(100_000, ge=1, description="orders remembered per member")
    consumer_memory_customers_max: int = Field(
        200_000, ge=1, description="customers remembered per member (beyond it, NetSuite is read)"
    )
    halt_probe_max_interval_s: float = Field(
        60.0, gt=0, description="longest wait between probes (and retries) of a halted member"
    )
    netsuite_outage_after_s: float = Field(
        60.0, gt=0, description="outage breaker: no NetSuite answer for this long (with failures) halts"
    )
    netsuite_outage_min_failures: int = Field(
        5, ge=1, description="outage breaker: failed calls in a row needed to halt"
    )
    dead_letter_breaker_ratio: float = Field(
        0.5, ge=0, le=1, description="halt when this share of the window would be dead-lettered; 0 = off"
    )
    dead_letter_breaker_window: int = Field(
        100, ge=1, description="records the dead-letter ratio is measured over"
    )
    dead_letter_breaker_consecutive: int = Field(
        20, ge=0, description="halt after this many dead letters in a row; 0 = off"
    )

    @model_validator(mode="after")
    def _workers_default(self) -> ConsumerSettings:
        if self.consumer_workers == 0:
            self.consumer_workers = max(2, 2 * self.netsuite_concurrency)
        return self

    @property
    def source_topics(self) -> list[str]:
        """The main topic and every retry topic: one member consumes them all."""
        return [self.orders_topic, *self.retry_topics]

    def consumer_config(self) -> dict[str, Any]:
        return {
            **self.client_config(),
            "group.id": self.consumer_group,
            "partition.assignment.strategy": "cooperative-sticky",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": self.kafka_session_timeout_ms,
            "heartbeat.interval.ms": max(500, self.kafka_session_timeout_ms // 10),
            "max.poll.interval.ms": self.kafka_max_poll_interval_ms,
            "isolation.level": "read_committed",
            "fetch.wait.max.ms": FETCH_WAIT_MAX_MS,
        }
