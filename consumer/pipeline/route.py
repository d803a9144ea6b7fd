"""Where a failed record goes next: one readable decision (dramatiq style), checkable against the README.

| failure                       | when                                   | route                          |
|-------------------------------|----------------------------------------|--------------------------------|
| `AuthFailure` 401             | always                                 | wait: halt `credentials`       |
| `AuthFailure` 403             | the credential probe fails             | wait: halt `credentials`       |
| `AuthFailure` 403             | the credential probe passes            | park: last retry topic (1)     |
| `Transient`, `Throttled`, `TryAgain` | the outage breaker is open      | wait: halt `netsuite_outage`   |
| `Transient`, `Throttled`, `TryAgain` | a retry topic is left           | next retry topic, after its delay |
| `Throttled`                   | none left                              | park: last retry topic (1)     |
| `Transient`, `TryAgain`       | none left, NetSuite fails a probe      | wait: halt `netsuite_outage`   |
| `Transient`, `TryAgain`       | none left, NetSuite answers            | dead letter ("exhausted")      |
| any `PermanentError` (2)      | always                                 | dead letter                    |
| any dead letter               | the dead-letter breaker is open/trips  | wait: halt `dead_letters` (3)  |
| `SchemaRegistryDown`          | always                                 | wait: halt `schema_registry`   |

(1) with its attempt count kept: neither a permission nor NetSuite's concurrency limit (another
integration may hold it) is the record's fault — but at least 1, as `x-attempt` is 1-based: a record
parked at its first try has spent that one (its next transient failure goes to the second topic).
(2) `Rejected`, `NotFound`, `Unmappable`, `Undecodable`, `RecordBug`. (3) tried again after a growing backoff.

"Then again" means the same record from the top, with no attempt spent. The checks that need I/O
(the probes) are asked only in the row that needs them, through the injected `Checks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from common import headers as h
from consumer.errors import (
    AuthFailure,
    PermanentError,
    RetryableError,
    SchemaRegistryDown,
    SyncError,
    Throttled,
)
from consumer.pipeline.halt import HaltReason


@dataclass(frozen=True)
class Forward:
    """Produce the record to `topic` with these retry headers, then its offset may be committed."""

    topic: str
    attempt: int  # failed attempts counted so far, this one included (the x-attempt header)
    due_at_ms: int | None  # retry topics only
    reason: str  # "retryable", "permanent", "exhausted" or "permission"


@dataclass(frozen=True)
class Wait:
    """Keep the record: wait until the member's halt for `reason` is released, then try it again."""

    reason: HaltReason


Route = Forward | Wait


class Checks(Protocol):
    """The member's view of NetSuite and of its own dead letters, asked by `decide`."""

    def permission_only(self, error: AuthFailure) -> bool: ...  # 403 with a working token (probes)
    def halt_credentials(self, error: AuthFailure) -> None: ...  # engage the halt (idempotent)
    def outage_open(self) -> bool: ...
    def netsuite_healthy(self) -> bool: ...  # may probe NetSuite
    def admit_dead_letter(self) -> bool: ...  # counts the dead letter; False trips or is tripped
    def halt_registry(self, error: SchemaRegistryDown) -> None: ...  # engage the halt (idempotent)


@dataclass(frozen=True)
class RetryPolicy:
    main_topic: str
    delays_s: tuple[float, ...]

    @property
    def retry_topics(self) -> tuple[str, ...]:
        return tuple(f"{self.main_topic}.retry.{n}" for n in range(1, len(self.delays_s) + 1))

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.main_topic}.dlq"

    def level_of(self, topic: str) -> int:
        """0 for the main topic, n for `<main>.retry.<n>`."""
        topics = self.retry_topics
        return topics.index(topic) + 1 if topic in topics else 0

    def attempts_of(self, topic: str, headers: list[tuple[str, bytes]]) -> int:
        """Failed attempts before this one, clamped to what this project could have written: 0 on
        the main topic (a redriven record starts afresh), at most n in `.retry.<n>` (a record parked
        there for a permission keeps a smaller count). Anyone who can write to a topic can set the
        header, so `-9` or `10**9` must neither crash the routing nor skip the retries."""
        level = self.level_of(topic)
        if level == 0:
            return 0
        value = dict(headers).get(h.ATTEMPT)
        try:
            return min(level, max(0, int(value or b""))) if value is not None else level
        except ValueError:
            return level

    def due_at_ms(self, topic: str, header_due_ms: int | None, timestamp_ms: int, now_ms: int) -> int:
        """When a retry-topic record may run: its `x-due-at-ms`, but never later than the record's
        own timestamp plus the topic's delay (a fast clock elsewhere, or a forged header, must not
        hold a partition), and at once when the timestamp itself lies beyond that in the future."""
        delay_ms = int(self.delays_s[self.level_of(topic) - 1] * 1000)
        if timestamp_ms <= 0 or timestamp_ms > now_ms + delay_ms:
            return now_ms if header_due_ms is None else min(header_due_ms, now_ms)
        latest = timestamp_ms + delay_ms
        return latest if header_due_ms is None else min(header_due_ms, latest)

    def decide(self, error: SyncError, *, attempts_so_far: int, now_ms: int, checks: Checks) -> Route:
        """The table in the module docstring, top to bottom."""
        attempt = attempts_so_far + 1
        if isinstance(error, SchemaRegistryDown):
            checks.halt_registry(error)
            return Wait(HaltReason.SCHEMA_REGISTRY)
        if isinstance(error, AuthFailure):
            if error.status == 403 and checks.permission_only(error):
                return self._park(attempts_so_far, now_ms, "permission")
            checks.halt_credentials(error)
            return Wait(HaltReason.CREDENTIALS)
        if isinstance(error, RetryableError):
            if checks.outage_open():
                return Wait(HaltReason.NETSUITE_OUTAGE)
            if attempts_so_far < len(self.delays_s):
                delay_ms = int(self.delays_s[attempts_so_far] * 1000)
                return Forward(self.retry_topics[attempts_so_far], attempt, now_ms + delay_ms, "retryable")
            if isinstance(error, Throttled):
                return self._park(attempts_so_far, now_ms, "throttled")
            if not checks.netsuite_healthy():
                return Wait(HaltReason.NETSUITE_OUTAGE)
            return self._dead_letter(attempt, "exhausted", checks)
        if isinstance(error, PermanentError):
            return self._dead_letter(attempt, "permanent", checks)
        raise TypeError(f"unrouted error type {type(error).__name__}")  # pragma: no cover - tree is closed

    def _park(self, attempts_so_far: int, now_ms: int, reason: str) -> Forward:
        """The last retry topic, after its delay, its count kept — at least 1: `x-attempt` is 1-based
        (the contract), so a record parked at its first try carries 1."""
        last = len(self.delays_s) - 1
        due = now_ms + int(self.delays_s[last] * 1000)
        return Forward(self.retry_topics[last], max(attempts_so_far, 1), due, reason)

    def _dead_letter(self, attempt: int, reason: str, checks: Checks) -> Route:
        if not checks.admit_dead_letter():
            return Wait(HaltReason.DEAD_LETTERS)
        return Forward(self.dead_letter_topic, attempt, None, reason)
