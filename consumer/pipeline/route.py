"""Where a failed record goes next: one readable decision (dramatiq style).

- `PermanentError` (Rejected, NotFound, Unmappable, Undecodable) → the dead-letter topic at once.
- `RetryableError` (Transient, Throttled) → the next retry topic, due after its delay;
  after the last retry topic → the dead-letter topic ("exhausted").
- `HaltError` (AuthFailure) → never forwarded: the member halts and the record waits.
Anything else is a bug and is not routed: it propagates and crashes the member loudly.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumer.errors import HaltError, PermanentError, RetryableError, SyncError


@dataclass(frozen=True)
class Forward:
    """Produce the record to `topic` with these retry headers, then its offset may be committed."""

    topic: str
    attempt: int  # 1-based count of failed attempts so far (the x-attempt header)
    due_at_ms: int | None  # retry topics only
    reason: str  # "retryable" or "permanent" or "exhausted"


@dataclass(frozen=True)
class Halt:
    """Stop consuming until NetSuite accepts our credentials again; the record is not forwarded."""


Route = Forward | Halt


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

    def decide(self, error: SyncError, *, attempts_so_far: int, now_ms: int) -> Route:
        """`attempts_so_far` counts earlier failed attempts (0 on the main topic)."""
        attempt = attempts_so_far + 1
        if isinstance(error, HaltError):
            return Halt()
        if isinstance(error, PermanentError):
            return Forward(self.dead_letter_topic, attempt, None, "permanent")
        if isinstance(error, RetryableError):
            if attempts_so_far < len(self.delays_s):
                delay_ms = int(self.delays_s[attempts_so_far] * 1000)
                return Forward(self.retry_topics[attempts_so_far], attempt, now_ms + delay_ms, "retryable")
            return Forward(self.dead_letter_topic, attempt, None, "exhausted")
        raise TypeError(f"unrouted error type {type(error).__name__}")  # pragma: no cover - tree is closed
