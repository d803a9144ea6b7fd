"""The receiver's Prometheus metrics.

With one worker they live in a `CollectorRegistry` of the app. With several gunicorn workers
`python -m receiver` sets `PROMETHEUS_MULTIPROC_DIR` before prometheus-client is imported: every
worker then writes its values to files there and `/metrics` merges all workers' files, so a scrape
that lands on any worker sees the whole process tree (the in-flight gauge sums live workers only).
"""

from __future__ import annotations

import os
import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

SECRETS = ("current", "previous")
OUTCOMES = (
    "accepted",
    "duplicate",  # verified, published within RECEIVER_REPLAY_WINDOW_S already: 200, not published again
    "ping",
    "unauthorized",
    "invalid",
    "too_large",
    "unavailable",
    "ignored",
    "timeout",  # the body did not arrive within RECEIVER_READ_TIMEOUT_S: 408, nothing published
)
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
SIZE_BUCKETS = tuple(float(2**n) for n in range(8, 22))  # 256 B … 2 MiB


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


_pid = os.getpid()


def _forked() -> None:
    global _pid
    _pid = os.getpid()


def _process_id() -> int:
    """`os.getpid()`, kept: in multiprocess mode prometheus-client asks for the process id on every
    value it writes (to notice a fork), a system call each - ten per webhook. The copy is renewed in
    every child right after a fork, so it is always what `os.getpid()` would say."""
    return _pid


os.register_at_fork(after_in_child=_forked)
if multiprocess_mode():  # decided at import, like prometheus-client's own choice of value class
    values.ValueClass = values.MultiProcessValue(process_identifier=_process_id)  # type: ignore[no-untyped-call]


# Webhook topics counted on their own; any other verified topic counts as "other".
DELIVERY_TOPICS = ("order.created", "order.updated", "other")


class ReceiverMetrics:
    """The receiver's metric families, registered in `registry` (a fresh one by default)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.requests = Counter(
            "woo_receiver_requests",
            "Webhook requests by outcome",
            ["outcome"],
            registry=self.registry,
        )
        # every series exists from the start (rate() needs a zero); the children are kept, so a request
        # costs a dict lookup rather than `labels()` (its lock and label checks)
        self.outcomes = {outcome: self.requests.labels(outcome) for outcome in OUTCOMES}
        self.produce_latency = Histogram(
            "woo_receiver_produce_latency_seconds",
            "Time from produce to the broker's acknowledgement (or the timeout)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "woo_receiver_in_flight_requests",
            "Webhook requests being handled now",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.signature_matches = Counter(
            "woo_receiver_signature_matches",
            "Verified webhooks by the secret that matched: once `previous` stays at zero after a "
            "rotation, WOOCOMMERCE_WEBHOOK_SECRET_PREVIOUS can be removed",
            ["secret"],
            registry=self.registry,
        )
        self.matched = {name: self.signature_matches.labels(name) for name in SECRETS}
        self.deliveries = Counter(
            "woo_receiver_deliveries",
            "Verified deliveries by webhook topic (order.created, order.updated, other): both order "
            "webhooks must deliver — a topic that stays at zero is a webhook missing in WooCommerce",
            ["topic"],
            registry=self.registry,
        )
        self.delivered = {topic: self.deliveries.labels(topic) for topic in DELIVERY_TOPICS}
        self.read_timeouts = Counter(
            "woo_receiver_read_timeouts",
            "Connections cut because a request (headers or body) did not arrive within "
            "RECEIVER_READ_TIMEOUT_S: slow clients reaching the pod",
            registry=self.registry,
        )
        self._last_delivery_by_label: dict[str, Gauge] = {}
        self.last_delivery = Gauge(
            "woo_receiver_last_delivery_timestamp_seconds",
            "When a verified delivery of each WooCommerce webhook (X-WC-Webhook-ID) last arrived, Unix "
            "time: a webhook that stops while orders flow was disabled or re-pointed",
            ["webhook_id"],
            registry=self.registry,
            multiprocess_mode="max",
        )
        self.payload_bytes = Histogram(
            "woo_receiver_payload_bytes",
            "Size of webhook bodies (Content-Length when refused unread)",
            buckets=SIZE_BUCKETS,
            registry=self.registry,
        )

    def webhook_delivered(self, webhook_id: str, now: float | None = None) -> None:
        """A verified delivery from this webhook arrived. The id header is not signed, so only a
        number becomes a label (WooCommerce's ids are); anything else counts as "other"."""
        label = webhook_id if webhook_id.isdigit() and len(webhook_id) <= 12 else "other"
        child = self._last_delivery_by_label.get(label)
        if child is None:  # a shop has a handful of webhooks: their children are kept like the outcomes'
            child = self._last_delivery_by_label[label] = self.last_delivery.labels(label)
        child.set(time.time() if now is None else now)

    def render(self) -> tuple[bytes, str]:
        """The exposition text: this registry, or every worker's files in multiprocess mode."""
        if multiprocess_mode():
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
