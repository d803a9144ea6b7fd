"""NetSuite's HTTP answers → the error tree: the exception *type* decides the record's route.

HTTP outcome → exception (checked top to bottom):

```
o:errorCode in LIMIT_CODES (any status), 429             → Throttled    (+ governor.on_throttled)
401, 403                                                  → AuthFailure  (halt, probe, resume)
5xx, requests.Timeout, ConnectionError, broken body       → Transient
404                                                       → NotFound     (get() returns None instead)
400 with an o:errorCode in TRY_AGAIN_CODES                → TryAgain     (retried; NetSuite answered)
400 and every other 4xx                                   → Rejected     (detail = NetSuite's detail)
anything else that is not 2xx (1xx, 3xx)                  → Transient    (redirects are not followed)
```
The error is decided by `o:errorCode`, not only the status: NetSuite answers 400 for validation
failures *and* for conditions a retry resolves (Oracle, "Error Status Codes", section_N3539978:
RCRD_HAS_BEEN_CHANGED "Record has been changed", DUP_ENTITY "This entity already exists.",
UNEXPECTED_ERROR; REST's own use of each is *unconfirmed*). The account's request and session limits
(SSS_REQUEST_LIMIT_EXCEEDED, REQUEST_LIMIT_EXCEEDED, WS_CONCUR_SESSION_DISALLWD) are `Throttled`
like CONCURRENCY_LIMIT_EXCEEDED: no order's fault. Only real validation failures may dead-letter an
order.
Each exception carries `status`, `error_code` (`o:errorCode`) and `path` (`o:errorPath`, or the
offending query parameter/header). Its `message` is `<operation>: HTTP <status>` (ours, loggable);
its `detail` is NetSuite's own text — the reason a dead-lettered order needs — which may echo
personal data: it travels redacted in the record's headers and is never logged.
"""

from __future__ import annotations

from typing import Any

import requests

from consumer.errors import AuthFailure, NotFound, Rejected, SyncError, Throttled, Transient, TryAgain

_MESSAGE_MAX = 500
#: 400 answers that mean "try again" (see the module docstring). DUP_ENTITY/DUP_RCRD are safe to
#: retry because every write is an upsert by external id: the retry updates what now exists.
TRY_AGAIN_CODES = frozenset(
    {
        "RCRD_HAS_BEEN_CHANGED",
        "DUP_ENTITY",
        "DUP_RCRD",
        "UNEXPECTED_ERROR",
    }
)
#: The account's limits, shared by every order as a 429 is: `Throttled` — parked, never "exhausted",
#: and the governor's window shrinks (as `TryAgain` they widened it and dead-lettered a long storm).
LIMIT_CODES = frozenset(
    {
        "CONCURRENCY_LIMIT_EXCEEDED",
        "SSS_REQUEST_LIMIT_EXCEEDED",
        "REQUEST_LIMIT_EXCEEDED",
        "WS_CONCUR_SESSION_DISALLWD",
    }
)


def error_for(operation: str, resp: requests.Response) -> SyncError | None:
    """None for 2xx, else the error-tree exception (see the module docstring)."""
    status = resp.status_code
    if 200 <= status < 300:
        return None
    try:
        body = resp.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    details = body.get("o:errorDetails")
    first = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
    code, detail = first.get("o:errorCode") or None, first.get("detail") or None
    path = first.get("o:errorPath") or first.get("o:errorQueryParam") or first.get("o:errorHeader") or None
    message = f"{operation}: HTTP {status}"
    kwargs: dict[str, Any] = {
        "status": status,
        "error_code": None if code is None else str(code),
        "path": None if path is None else str(path),
        "detail": str(detail or body.get("title") or resp.reason or "no detail")[:_MESSAGE_MAX],
    }
    if code in LIMIT_CODES or status == 429:
        return Throttled(message, **kwargs)
    if status in (401, 403):
        return AuthFailure(message, **kwargs)
    if status >= 500:
        return Transient(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 400 and code in TRY_AGAIN_CODES:
        return TryAgain(message, **kwargs)
    if 400 <= status < 500:
        return Rejected(message, **kwargs)
    return Transient(f"{operation}: unexpected HTTP {status}", **kwargs)
