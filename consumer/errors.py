"""The error tree: the type of a failure decides its route (the consumer never inspects messages).

```
SyncError
├── RetryableError        → next retry topic (then dead letter when exhausted and NetSuite answers)
│   ├── Throttled         429 / CONCURRENCY_LIMIT_EXCEEDED / a request or session limit — also
│   │                     shrinks the governor window
│   ├── Transient         5xx, timeouts, connection errors — also feed the outage breaker
│   └── TryAgain          400 whose o:errorCode means "try again": record changed meanwhile,
│                         a concurrent create, an unexpected error
├── PermanentError        → dead-letter topic at once, with the reason in headers
│   ├── Rejected          NetSuite 400 (validation, bad reference)
│   ├── NotFound          404 where a record had to exist
│   ├── Unmappable        unknown SKU, totals that cannot balance, missing data, a mapping failure
│   ├── Undecodable       a message that is not our Avro (any decoding failure)
│   └── RecordBug         an unexpected exception while processing one record (x-error-class names it)
└── HaltError             → never dead-lettered: the member halts or the record is parked
    ├── AuthFailure       401 / 403 (wrong or revoked token, sandbox refresh, a missing permission)
    └── SchemaRegistryDown  the schema registry does not answer: no record could be decoded
```
`consumer.pipeline.route` turns these into routes. An exception raised by the member itself — the
poll loop, the producer, the settings — is not a record's failure: it crashes the process loudly
(Kubernetes restarts it; offsets were not committed, so nothing is lost). An exception while one
record is decoded or written becomes a `RecordBug` instead, so one poison record is dead-lettered
rather than crash-looping every member that is given its partition.
"""

from __future__ import annotations


class SyncError(Exception):
    """Base of every expected failure.

    `message` is ours and holds no personal data or secrets: it may be logged. `detail` is what
    NetSuite said (it echoes field values): it travels in `str()` to the record's `x-error-message`
    header, after `consumer.pipeline.redact`, and is never logged.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        path: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.path = path
        self.detail = detail

    @property
    def error_class(self) -> str:
        """The `x-error-class` header and the metric label: the type's name."""
        return type(self).__name__

    def __str__(self) -> str:
        parts = [f"{self.message}: {self.detail}" if self.detail else self.message]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_code:
            parts.append(f"code={self.error_code}")
        if self.path:
            parts.append(f"path={self.path}")
        return " ".join(parts)

    def for_another_caller(self) -> SyncError:
        """The same error (type, message, status, code, cause) to raise in another thread: callers
        that waited for one shared look-up all get its failure, and one exception object raised in
        several threads would mix their tracebacks. Built without `__init__` (a subclass may take
        other arguments)."""
        clone = type(self).__new__(type(self), *self.args)
        clone.__dict__.update(self.__dict__)
        clone.__cause__ = self.__cause__
        return clone


class RetryableError(SyncError):
    """Worth trying again later: the next retry topic."""


class Throttled(RetryableError):
    """One of the account's limits was hit: concurrency (429 CONCURRENCY_LIMIT_EXCEEDED), requests or
    sessions (`consumer.netsuite.answers.LIMIT_CODES`). Shared by every order: parked, never dead-lettered."""


class Transient(RetryableError):
    """5xx, a timeout or a broken connection."""


class TryAgain(RetryableError):
    """NetSuite answered 400 with a code that means "try again", not "this record is wrong":
    `RCRD_HAS_BEEN_CHANGED` (another save landed between load and save), `DUP_ENTITY`/`DUP_RCRD`
    on an upsert (another request created the record meanwhile: the retry updates it),
    `UNEXPECTED_ERROR`. NetSuite did answer: not evidence of an outage."""


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


class RecordBug(PermanentError):
    """Processing one record raised an exception outside this tree: a bug, dead-lettered with the
    exception's type and where it was raised (never its text, which may quote order data)."""

    def __init__(self, exc: BaseException) -> None:
        frame = exc.__traceback__
        while frame is not None and frame.tb_next is not None:
            frame = frame.tb_next
        where = ""
        if frame is not None:
            code = frame.tb_frame.f_code
            path = "/".join(code.co_filename.replace("\\", "/").split("/")[-2:])
            where = f" in {path}:{frame.tb_lineno} ({code.co_name})"
        super().__init__(f"bug: {type(exc).__name__}{where}")
        self.original = type(exc).__name__

    @property
    def error_class(self) -> str:
        return self.original


class HaltError(SyncError):
    """Stop consuming and alert; never dead-letter."""


class AuthFailure(HaltError):
    """401/403: wrong or revoked token, sandbox refresh. Orders wait until a probe succeeds."""


class SchemaRegistryDown(HaltError):
    """The schema registry did not answer while a record was decoded: halt and probe the registry,
    never dead-letter the records as undecodable."""
