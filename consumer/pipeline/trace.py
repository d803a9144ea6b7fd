"""Where one record's time goes: its stages, as histograms and on the record's log line.

| stage      | from → to                                                                | measured by |
|------------|--------------------------------------------------------------------------|-------------|
| `delivery` | produced by the receiver (Kafka timestamp) → handed on by the poll loop (1) | runner   |
| `queue`    | handed on → a worker starts it (its order key is busy, or no worker free) | runner   |
| `slot`     | its NetSuite calls waiting for a governor slot, summed                    | governor |
| `call`     | its NetSuite calls holding a slot — the requests themselves — summed     | governor |
| `work`     | the rest of its time on the worker: decoding, mapping, memory, backoffs   | runner   |
| `commit`   | its outcome durable → its offset committed, acknowledged by the broker    | runner   |

(1) main-topic records only: a retry record's timestamp is when it was parked.

From the receiver's answer to the sales order in NetSuite an order spends `delivery + queue + slot +
call + work` (`woo_consumer_stage_seconds`); `commit` comes after and delays only a restart's
redelivery. `delivery` compares two processes' wall clocks, so it is only as exact as their sync.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

from consumer import metrics
from consumer.netsuite.governor import Ticket, ticket
from schemas.order import OrderEvent

STAGES = ("delivery", "queue", "slot", "call", "work", "commit")


@dataclass(slots=True)
class RecordTrace:
    """One record from the poll loop to its outcome; `ticket` gathers its NetSuite calls."""

    produced_ms: int | None  # the Kafka timestamp of a main-topic record, else None
    dispatched: float = field(default_factory=time.perf_counter)
    dispatched_wall_ms: int = field(default_factory=lambda: time.time_ns() // 1_000_000)
    started: float | None = None
    ticket: Ticket = field(init=False)

    def __post_init__(self) -> None:
        # Earlier-dispatched records first: an order that started its calls finishes before new ones.
        self.ticket = Ticket(priority=self.dispatched)

    def stages(self, now: float | None = None) -> dict[str, float]:
        """Seconds per stage so far (`commit` is observed separately, when the offset is)."""
        now = time.perf_counter() if now is None else now
        started = self.started if self.started is not None else now
        out: dict[str, float] = {}
        if self.produced_ms is not None:
            out["delivery"] = max(0.0, (self.dispatched_wall_ms - self.produced_ms) / 1000)
        t = self.ticket
        out |= {"queue": started - self.dispatched, "slot": t.waited_s, "call": t.held_s}
        out["work"] = max(0.0, now - started - t.waited_s - t.held_s)
        return out

    def log_fields(self) -> dict[str, float | int]:
        """The stages in ms, for the record's log line (no order data)."""
        fields: dict[str, float | int] = {f"{k}_ms": round(v * 1000, 1) for k, v in self.stages().items()}
        fields["calls"] = self.ticket.calls
        return fields

    def observe(self) -> None:
        for stage, seconds in self.stages().items():
            metrics.STAGE_SECONDS.labels(stage).observe(seconds)


_CURRENT: ContextVar[RecordTrace | None] = ContextVar("record_trace", default=None)


def current() -> RecordTrace | None:
    """The trace of the record this thread processes now (None outside a record)."""
    return _CURRENT.get()


@contextmanager
def running(trace: RecordTrace) -> Iterator[RecordTrace]:
    """The block processes `trace`'s record on this thread: its NetSuite calls are counted on it."""
    trace.started = time.perf_counter()
    token = _CURRENT.set(trace)
    try:
        with ticket(trace.ticket):
            yield trace
    finally:
        _CURRENT.reset(token)


def observe_written(event: OrderEvent) -> None:
    """Metrics of a written order; never raises (the order is already in NetSuite)."""
    now = time.time()
    if event.received_at_ms:
        metrics.END_TO_END.observe(max(0.0, now - event.received_at_ms / 1000))
    try:
        created = datetime.fromisoformat((event.order.date_created_gmt or "")[:19])
    except ValueError:
        return
    metrics.ORDER_AGE_AT_WRITE.observe(max(0.0, now - created.replace(tzinfo=UTC).timestamp()))
