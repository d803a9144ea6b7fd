"""One look-up that other callers wait for, instead of asking NetSuite the same question again.

The item and currency caches (`items.py`, `currency.py`) let one caller ask while the others that
need the same answer wait on its latch. What a waiter does once the look-up ended:

| the look-up                                       | its waiters                                   |
|---------------------------------------------------|-----------------------------------------------|
| answered                                          | use the answer                                |
| failed: NetSuite unavailable, throttling, or      | raise the same error at once, each its own    |
|   refusing our credentials (`RetryableError`,     |   copy, and back off in their own retries —   |
|   `HaltError`)                                    |   asking in turn, the k-th would sit through  |
|                                                   |   k timeouts                                  |
| failed otherwise: NetSuite refused *that* query   | ask NetSuite themselves: the refusal was      |
|   (`PermanentError`), or the caller's lease ended |   about another record's question, or nothing |
|   (`GaveUp`) or its code broke                    |   about NetSuite was learnt                   |
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from consumer.errors import HaltError, RetryableError, SyncError


@dataclass
class Latch:
    done: threading.Event = field(default_factory=threading.Event)
    answered: bool = False
    error: SyncError | None = None  # what its waiters raise too

    def end(self, error: BaseException | None) -> None:
        """Called once by the caller that asked, after it stored the answer (if any)."""
        self.answered = error is None
        if isinstance(error, RetryableError | HaltError):
            self.error = error
        self.done.set()

    def wait(self) -> bool:
        """True once the look-up answered; False when the waiter must ask itself; raises the
        look-up's shared error (the table above)."""
        self.done.wait()
        if self.error is not None:
            raise self.error.for_another_caller()
        return self.answered
