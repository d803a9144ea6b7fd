"""The error tree: the type of a failure decides its route (the consumer never inspects messages).

```
SyncError
├── RetryableError        → next retry topic (then dead letter when exhausted)
│   ├── Throttled         429 / CONCURRENCY_LIMIT_EXCEEDED — also shrinks the governor window
│   └── Transient         5xx, timeouts, connection errors
├── PermanentError        → dead-letter topic at once, with the reason in headers
│   ├── Rejected          NetSuite 400 (validation, bad reference)
│   ├── NotFound          404 where a record had to exist
│   ├── Unmappable        unknown SKU, totals that cannot balance, missing required data
│   └── Undecodable       a message that is not our Avro
└── HaltError             → pause every partition, not-ready, probe, resume; never dead-letter
    └── AuthFailure       401 / 403 (wrong or revoked token, sandbox refresh)
```
An exception outside this tree is a bug: it crashes the process loudly (Kubernetes restarts it;
offsets were not committed, so nothing is lost).
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every expected failure. `message` must hold no personal data or secrets."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.path = path

    def __str__(self) -> str:
        parts = [self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_code:
            parts.append(f"code={self.error_code}")
        if self.path:
            parts.append(f"path={self.path}")
        return " ".join(parts)


class RetryableError(SyncError):
    """Worth trying again later: the next retry topic."""


class Throttled(RetryableError):
    """NetSuite's account concurrency limit was hit (429 CONCURRENCY_LIMIT_EXCEEDED)."""


class Transient(RetryableError):
    """5xx, a timeout or a broken connection."""


class PermanentError(SyncError):
    """Retrying cannot help: the dead-letter topic, with the reason in headers."""


class Rejected(PermanentError):
    """NetSuite refused the record (400: validation, bad reference)."""


class NotFound(PermanentError):
    """A record that had to exist does not (404 NONEXISTENT_ID)."""


class Unmappable(PermanentError):
    """The order cannot become NetSuite records: unknown SKU, unbalanced totals, missing data."""


class Undecodable(PermanentError):
    """The Kafka message is not an order event we can read."""


class HaltError(SyncError):
    """Stop consuming and alert; never dead-letter."""


class AuthFailure(HaltError):
    """401/403: wrong or revoked token, sandbox refresh. Orders wait until a probe succeeds."""
