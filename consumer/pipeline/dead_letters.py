"""The dead-letter breaker: when most records are being dead-lettered, stop instead.

One bad order is dead-lettered and the others flow. But when the share of dead letters jumps — a
deploy's bug, a NetSuite item or custom field that disappeared, a wrong mapping setting — routing
each record on its own would empty the whole stream into the dead-letter topic, where every order
then needs a redrive. That pattern means a systemic cause, so the member stops and alerts instead
(getsentry/arroyo's `DlqLimit` is the model: a ratio and a consecutive count; arroyo crashes the
consumer, we halt it, so it resumes by itself once the cause is fixed).

| rule                  | settings                                                  | default    |
|-----------------------|-----------------------------------------------------------|------------|
| share of the last N   | `DEAD_LETTER_BREAKER_RATIO` of `…_WINDOW`                 | 0.5 of 100 |
| dead letters in a row | `DEAD_LETTER_BREAKER_CONSECUTIVE`                         | 20         |

Both count where records end — written, skipped or dead-lettered — not their hops through the retry
topics. The ratio counts only once N records were seen; 0 disables a rule. The record that would trip it
is *not* dead-lettered: the member halts (`dead_letters`), and that record — and any other that
wants the dead-letter topic meanwhile — is tried again with growing backoff. The first record
written or skipped releases the halt and starts a fresh window. If the dead letters are genuine,
raise the limits (or set them to 0) and restart: the waiting records are then dead-lettered.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from consumer.pipeline.halt import HaltReason, Halts


@dataclass(frozen=True)
class DeadLetterLimit:
    ratio: float = 0.5
    window: int = 100
    consecutive: int = 20


class DeadLetterBreaker:
    def __init__(self, limit: DeadLetterLimit, halts: Halts) -> None:
        self._limit, self._halts = limit, halts
        self._lock = threading.Lock()
        self._recent: deque[bool] = deque(maxlen=max(1, limit.window))  # True = dead-lettered
        self._in_a_row = 0

    def admit(self) -> bool:
        """A record is about to be dead-lettered: may it? False halts the member (or it is halted)."""
        if self._halts.engaged(HaltReason.DEAD_LETTERS):
            return False
        with self._lock:
            recent = [*self._recent, True][-max(1, self._limit.window) :]
            in_a_row = self._in_a_row + 1
            why = self._trips(recent, in_a_row)
            if why is None:
                self._recent.append(True)
                self._in_a_row = in_a_row
                return True
        self._halts.engage(HaltReason.DEAD_LETTERS, why)
        return False

    def settled(self) -> None:
        """A record ended written or skipped: it releases a halt and starts a fresh window. A hop to a
        retry topic is no outcome: counted as one, each order's hops reset the run and kept the share
        of dead letters under 1/(hops + 1), so a failure every order retries — 5xx on every write —
        emptied the stream into the dead-letter topic (audit of the retry chain, 2026-12-03)."""
        with self._lock:
            if self._halts.engaged(HaltReason.DEAD_LETTERS):
                self._recent.clear()
            self._recent.append(False)
            self._in_a_row = 0
        self._halts.release(HaltReason.DEAD_LETTERS)

    def _trips(self, recent: list[bool], in_a_row: int) -> str | None:
        limit = self._limit
        if limit.consecutive and in_a_row >= limit.consecutive:
            return f"{in_a_row} records in a row would be dead-lettered"
        if limit.ratio and limit.window and len(recent) >= limit.window:
            share = sum(recent) / len(recent)
            if share >= limit.ratio:
                return f"{share:.0%} of the last {len(recent)} records would be dead-lettered"
        return None
