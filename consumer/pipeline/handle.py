"""One record, start to durable outcome: decode → write → (on failure) route → forward.

Runs on a worker thread. It returns only when the record's outcome is durable — written to
NetSuite, deliberately skipped, or acknowledged by the broker on the next retry/dead-letter topic —
so the caller may then mark the offset finished. It returns False when it gives the record up
before that point: the member is stopping, or the partition was revoked meanwhile (`owned()` turns
false), so another member owns the record now and this one must not write or forward it. The
offset then stays uncommitted and the record is consumed again.

A 401 halts the member (credentials). A 403 halts it too — a role without permission affects every
order. If the credential probe then succeeds and the same record is refused again with 403, the
token is good but the role may not do this write (create sales orders, use this subsidiary or
location): the record is held — retried with growing backoff, counted, logged — and never
dead-lettered, as for any `AuthFailure`. A held record keeps its worker thread and its partition
stops committing past it (lag grows, the operator is alerted); other orders flow on the remaining
workers, and when every worker holds one the member consumes nothing more — stop and alert, as for
wrong credentials — until the role is fixed and the next attempt goes through.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable

from common import headers as h
from common.publisher import PublishError
from consumer import metrics
from consumer.errors import SyncError, Undecodable
from consumer.pipeline.calls import GaveUp
from consumer.pipeline.forward import Forwarder, SourceRecord
from consumer.pipeline.halt import AuthHalt
from consumer.pipeline.route import Forward, Halt, RetryPolicy
from consumer.pipeline.sync import OrderWriter
from schemas.order import OrderEvent
from schemas.serde import OrderSerde, UndecodableMessage

log = logging.getLogger(__name__)


class RecordHandler:
    def __init__(
        self,
        serde: OrderSerde,
        writer: OrderWriter,
        policy: RetryPolicy,
        forwarder: Forwarder,
        halt: AuthHalt,
        stop: threading.Event,
        *,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self._serde = serde
        self._writer = writer
        self._policy = policy
        self._forwarder = forwarder
        self._halt = halt
        self._stop = stop
        self._now_ms = now_ms
        self._wait = wait or stop.wait  # True when stopping; injected so tests never sleep

    def handle(self, record: SourceRecord, owned: Callable[[], bool] = lambda: True) -> bool:
        """True when the outcome is durable; False when given up (stopping, or no longer ours)."""
        level = self._policy.level_of(record.topic)
        done = self._settle(record, level, lambda: not self._stop.is_set() and owned())
        if done and level > 0:
            metrics.RETRY_SETTLED.inc()  # it left the retry topics: written, skipped or handed on
        return done

    def _settle(self, record: SourceRecord, level: int, ours: Callable[[], bool]) -> bool:
        """`ours()` is false once the member stops or the partition was revoked: give the record up."""
        attempts = _attempts(record, level)
        refused_after_probe = False
        hold_s = self._halt.first_interval_s
        while True:
            if not ours():
                return False
            event: OrderEvent | None = None
            try:
                event = self._decode(record)
                outcome = self._writer.write(event, from_retry=level > 0, proceed=ours)
            except GaveUp:
                return False  # revoked or stopping between two NetSuite calls
            except SyncError as error:
                if not ours():
                    return False
                if refused_after_probe and error.status == 403:
                    metrics.PERMISSION_HOLDS.inc()
                    log.error(
                        "order write refused (403 %s, path=%s) although the credential probe passed: "
                        "holding %s/%s@%s, next attempt in %.0fs",
                        error.error_code,
                        error.path,
                        record.topic,
                        record.partition,
                        record.offset,
                        hold_s,
                    )
                    if self._pause(hold_s, ours):
                        return False
                    hold_s = min(self._halt.max_interval_s, hold_s * 2)
                    continue
                route = self._policy.decide(error, attempts_so_far=attempts, now_ms=self._now_ms())
                if isinstance(route, Halt):
                    self._halt.trip(error)
                    if not self._halt.wait():
                        return False
                    refused_after_probe = True
                    continue  # credentials work again: the same record, from the top
                if event is not None and level == 0:
                    self._writer.parked(event)  # an older copy behind it on the main topic is stale
                return self._forward(record, route, error, ours)
            metrics.OUTCOMES.labels(outcome.value).inc()
            log.info(
                "order %s %s (topic=%s partition=%s offset=%s)",
                event.order.id,
                outcome.value,
                record.topic,
                record.partition,
                record.offset,
            )
            return True

    def _decode(self, record: SourceRecord) -> OrderEvent:
        try:
            return self._serde.decode(record.value, record.topic)
        except UndecodableMessage as exc:
            raise Undecodable(str(exc)) from exc

    def _pause(self, seconds: float, ours: Callable[[], bool]) -> bool:
        """Wait in slices of at most a second; True when the record must be given back (stopping,
        or its partition was revoked meanwhile — a revoke never waits out a long backoff)."""
        slices = max(1, math.ceil(seconds))
        return any(self._wait(seconds / slices) or not ours() for _ in range(slices))

    def _forward(
        self, record: SourceRecord, route: Forward, error: SyncError, ours: Callable[[], bool]
    ) -> bool:
        delay = 0.5
        while True:
            if not ours():
                return False
            try:
                self._forwarder.forward(record, route, error)
                break
            except PublishError as exc:
                log.error("cannot forward to %s (%s); retrying", route.topic, exc)
                if self._pause(delay, ours):
                    return False
                delay = min(delay * 2, 10.0)
        if route.topic == self._policy.dead_letter_topic:
            metrics.DEAD_LETTERED.labels(type(error).__name__).inc()
            metrics.OUTCOMES.labels("dead_lettered").inc()
        else:
            metrics.RETRIED.labels(str(route.attempt)).inc()
            metrics.OUTCOMES.labels("retried").inc()
        log.warning(
            "record %s/%s@%s → %s (attempt %s, %s: code=%s path=%s)",
            record.topic,
            record.partition,
            record.offset,
            route.topic,
            route.attempt,
            type(error).__name__,
            error.error_code,
            error.path,
        )
        return True


def _attempts(record: SourceRecord, level: int) -> int:
    """Failed attempts before this one: the x-attempt header, or the retry level when absent."""
    for key, value in record.headers:
        if key == h.ATTEMPT:
            try:
                return int(value.decode())
            except ValueError:
                break
    return level
