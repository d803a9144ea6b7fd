"""One record, start to durable outcome: decode → write → (on failure) route → forward.

Runs on a worker thread, under the record's lease (`consumer.pipeline.lease`). It returns True only
when the record's outcome is durable — written to NetSuite, deliberately skipped, or acknowledged by
the broker on a retry/dead-letter topic — so the caller may then mark the offset finished. It
returns False when it gives the record up first: its lease ended (revoked, or the member stops), so
another member processes it; the offset stays uncommitted.

The steps, each a method:
1. `_process` — decode and write. A decode failure of any kind is `Undecodable`; any other
   exception outside the error tree is a `RecordBug`: one poison record is dead-lettered (with the
   exception's type), it never crash-loops the group.
2. `consumer.pipeline.route.RetryPolicy.decide` — the route, from one table.
3. `_wait` — a `Wait` route keeps the record until the member's halt is released, then tries again.
4. `_forward` — a `Forward` route produces it to the retry or dead-letter topic, with a reason that
   holds no personal data (`consumer.pipeline.redact`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import ExitStack

from common import headers as h
from common.publisher import PublishError
from consumer import metrics
from consumer.errors import AuthFailure, RecordBug, SchemaRegistryDown, SyncError, Undecodable
from consumer.pipeline.credentials import Credentials
from consumer.pipeline.dead_letters import DeadLetterBreaker
from consumer.pipeline.forward import Forwarder, SourceRecord
from consumer.pipeline.halt import HaltReason, Halts, ProbedHalt
from consumer.pipeline.lease import GaveUp, Lease
from consumer.pipeline.outage import OutageBreaker
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.redact import redact
from consumer.pipeline.route import Forward, RetryPolicy, Wait
from consumer.pipeline.sync import OrderWriter
from consumer.pipeline.trace import current
from schemas.order import OrderEvent
from schemas.serde import OrderSerde, RegistryUnavailable, describe

log = logging.getLogger(__name__)


class MemberChecks:
    """`route.Checks` from the member's breakers."""

    def __init__(
        self,
        credentials: Credentials,
        outage: OutageBreaker,
        dead_letters: DeadLetterBreaker,
        registry: ProbedHalt,
    ) -> None:
        self.credentials, self.outage, self.dead_letters = credentials, outage, dead_letters
        self.registry = registry

    def permission_only(self, error: AuthFailure) -> bool:
        return self.credentials.permission_only(error)

    def halt_credentials(self, error: AuthFailure) -> None:
        self.credentials.trip(error)

    def outage_open(self) -> bool:
        return self.outage.open

    def netsuite_healthy(self) -> bool:
        return self.outage.healthy()

    def admit_dead_letter(self) -> bool:
        return self.dead_letters.admit()

    def halt_registry(self, error: SchemaRegistryDown) -> None:
        self.registry.trip(error.message)


class Backoff:
    """Growing waits for a record that is tried again while the member is halted."""

    def __init__(self, first_s: float, max_s: float) -> None:
        self._next, self._max = first_s, max_s

    def next(self) -> float:
        value, self._next = self._next, min(self._max, self._next * 2)
        return value


class RecordHandler:
    def __init__(
        self,
        serde: OrderSerde,
        writer: OrderWriter,
        policy: RetryPolicy,
        forwarder: Forwarder,
        halts: Halts,
        checks: MemberChecks,
        *,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
    ) -> None:
        self._serde, self._writer, self._policy = serde, writer, policy
        self._forwarder, self._halts, self._checks = forwarder, halts, checks
        self._first_s, self._max_s = first_backoff_s, max_backoff_s
        self._now_ms = now_ms

    def handle(self, record: SourceRecord, lease: Lease) -> bool:
        """True when the outcome is durable; False when given up (the lease ended)."""
        with ExitStack() as held:  # the halts this record waits on, for as long as it is here
            return self._handle(record, lease, held)

    def _handle(self, record: SourceRecord, lease: Lease, held: ExitStack) -> bool:
        level = self._policy.level_of(record.topic)
        attempts = self._policy.attempts_of(record.topic, record.headers)
        halted, waits_on = Backoff(self._first_s, self._max_s), set[HaltReason]()
        while lease.active:
            event: OrderEvent | None = None
            try:
                event = self._decode(record)
                marks = dict(record.headers)
                outcome = self._process(
                    event, level, lease, redriven=h.REDRIVE_COUNT in marks, repair=h.REPAIR in marks
                )
            except GaveUp:
                return False
            except SyncError as error:
                route = self._policy.decide(
                    error, attempts_so_far=attempts, now_ms=self._now_ms(), checks=self._checks
                )
                if isinstance(route, Wait):
                    if route.reason not in waits_on:
                        held.enter_context(self._halts.waiting(route.reason))
                        waits_on.add(route.reason)
                    if not self._wait(route, lease, halted):
                        return False
                    continue
                return self._forward(record, event, route, error, lease, level)
            self._settled(record, event, outcome, level)
            return True
        return False

    def _decode(self, record: SourceRecord) -> OrderEvent:
        try:
            return self._serde.decode(record.value, record.topic)
        except RegistryUnavailable as exc:  # not the record's fault: every record would fail alike
            raise SchemaRegistryDown(f"the schema registry does not answer ({exc})") from exc
        except Exception as exc:  # any other failure to read a record is the record's: dead letter
            reason = exc.args[0] if exc.args and isinstance(exc.args[0], str) else describe(exc)
            raise Undecodable(reason) from exc

    def _process(
        self, event: OrderEvent, level: int, lease: Lease, *, redriven: bool, repair: bool
    ) -> Outcome:
        """A retry record, or a repair (`x-repair`: NetSuite was changed behind the group's back), is
        decided on what NetSuite holds, never on memory (versions.py, row 1)."""
        try:
            return self._writer.write(event, from_retry=level > 0 or repair, lease=lease, redriven=redriven)
        except (GaveUp, SyncError):
            raise
        except Exception as exc:  # a bug met by this record: dead-letter it, keep the member
            log.exception("bug while writing order %s", event.order.id)
            metrics.RECORD_BUGS.labels(type(exc).__name__).inc()
            raise RecordBug(exc) from exc

    def _wait(self, route: Wait, lease: Lease, backoff: Backoff) -> bool:
        """Keep the record through a halt; False when its lease ended meanwhile. A dead-letter halt
        is released by a success, so the waiting record is tried again after each backoff."""
        timeout = backoff.next() if route.reason is HaltReason.DEAD_LETTERS else None
        return self._halts.wait(route.reason, lease, timeout)

    def _forward(
        self,
        record: SourceRecord,
        event: OrderEvent | None,
        route: Forward,
        error: SyncError,
        lease: Lease,
        level: int,
    ) -> bool:
        if event is not None and level == 0 and route.topic != self._policy.dead_letter_topic:
            try:
                self._writer.parked(event, lease)  # an older copy behind it on the main topic is stale
            except GaveUp:
                return False
        reason = redact(str(error), event.order if event is not None else None)
        with self._halts.waiting(HaltReason.FORWARDING):
            if not self._forward_until_taken(record, route, error, reason, lease):
                return False
        self._halts.release(HaltReason.FORWARDING)
        self._account(record, event, route, error)
        return True

    def _forward_until_taken(
        self, record: SourceRecord, route: Forward, error: SyncError, reason: str, lease: Lease
    ) -> bool:
        """Produce until the broker takes it (True), or the lease ended (False)."""
        backoff = Backoff(self._first_s, self._max_s)
        while True:
            try:
                with lease.call():  # a revoke waits for a forward under way; none starts after it
                    self._forwarder.forward(record, route, error.error_class, reason)
                return True
            except GaveUp:
                return False
            except PublishError as exc:
                if exc.permanent:  # it will not heal by itself: halt and say so, never spin silently
                    self._halts.engage(HaltReason.FORWARDING, f"{route.topic} refuses records: {exc.reason}")
                log.error("cannot forward to %s (%s); retrying", route.topic, exc.reason)
                if not lease.wait(backoff.next()):
                    return False

    def _account(
        self, record: SourceRecord, event: OrderEvent | None, route: Forward, error: SyncError
    ) -> None:
        order = event.order.id if event is not None else "?"
        if route.topic == self._policy.dead_letter_topic:
            metrics.DEAD_LETTERED.labels(error.error_class).inc()
            metrics.OUTCOMES.labels("dead_lettered").inc()
        else:  # a hop, no outcome: the dead-letter breaker counts only where a record ends
            if route.reason == "permission":
                metrics.PERMISSION_PARKED.inc()
            # by the retry topic's level, parked records included: `retried - settled` is what waits
            metrics.RETRIED.labels(str(self._policy.level_of(route.topic))).inc()
            metrics.OUTCOMES.labels("retried").inc()
        if self._policy.level_of(record.topic) > 0:
            metrics.RETRY_SETTLED.inc()  # it left its retry topic: handed on or dead-lettered
        log.warning(  # `message` is ours and names no personal data; NetSuite's detail is not logged
            "order %s → %s (%s, attempt %s): %s: %s code=%s path=%s (from %s/%s@%s)",
            *(order, route.topic, route.reason, route.attempt, error.error_class, error.message),
            *(error.error_code, error.path, record.topic, record.partition, record.offset),
        )

    def _settled(self, record: SourceRecord, event: OrderEvent, outcome: Outcome, level: int) -> None:
        self._checks.dead_letters.settled()
        metrics.OUTCOMES.labels(outcome.value).inc()
        if level > 0:
            metrics.RETRY_SETTLED.inc()  # it left the retry topics: written or skipped
        trace = current()
        log.info(  # with where its time went (`consumer.pipeline.trace`): ids and timings only
            "order %s %s (topic=%s partition=%s offset=%s)",
            *(event.order.id, outcome.value, record.topic, record.partition, record.offset),
            extra={"fields": {"order_id": event.order.id, "outcome": outcome.value,
                              **(trace.log_fields() if trace is not None else {})}},
        )  # fmt: skip
