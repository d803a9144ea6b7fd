"""The NetSuite SuiteTalk REST client: OAuth1-signed requests, governed, turned into typed errors.

Why one small class: every call to NetSuite must be signed afresh (TBA nonces are single-use), hold
a governor slot while it is on the wire (built and signed just before), be timed, and end either in
data or in an exception from `consumer.errors` whose *type* decides the message's route. It knows
only `netsuite_base_url`, never whether that is real NetSuite or the simulator. No retries here:
retry topics own retrying.

Every answer that is not 2xx becomes an exception of `consumer.errors` by
`consumer.netsuite.answers.error_for` (the status and `o:errorCode` → error table is there).

`X-NetSuite-PropertyNameValidation: Error` is sent on writes by default: a misspelt or missing field
(e.g. the version custom field not created on the account) then fails loudly as `Rejected` instead
of being silently dropped — silently dropping the version field would break "an older version never
overwrites a newer one". `property_name_validation=False` falls back to the account's default
(warn and ignore) for accounts that must run before their custom fields exist.

Logs carry operation, status, o:errorCode, o:errorPath and latency — never bodies, URLs (an external
id can embed an email), NetSuite's detail text or the Authorization header.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from contextvars import ContextVar
from typing import Any, Protocol
from urllib.parse import urlparse

import requests
from prometheus_client import Counter, Histogram

from consumer.errors import (
    NotFound,
    Rejected,
    SyncError,
    Throttled,
    Transient,
    TryAgain,
    Unmappable,
)
from consumer.netsuite.answers import error_for
from consumer.netsuite.governor import Governor
from consumer.netsuite.session import signed_session
from consumer.netsuite.settings import NetSuiteSettings

log = logging.getLogger(__name__)
# Their DEBUG lines print the Authorization header, the signature base string and URLs (a guest
# customer's external id is derived from an email): keep them quiet even when the root logs DEBUG.
for _noisy in ("requests_oauthlib", "oauthlib", "urllib3.connectionpool"):
    logging.getLogger(_noisy).setLevel(logging.INFO)

REQUEST_SECONDS = Histogram(
    "woo_netsuite_request_seconds",
    "NetSuite REST request latency",
    ["operation", "status"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
THROTTLED = Counter("woo_netsuite_throttled", "NetSuite answers saying the concurrency limit was hit")

RECORD = "/services/rest/record/v1"
SUITEQL = "/services/rest/query/v1/suiteql"
# fullmatch: `$` would also match before a trailing newline ("customer\n" would pass).
_RECORD_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_EXTERNAL_ID = re.compile(r"[A-Za-z0-9_-]+")
_INTERNAL_ID = re.compile(r"[0-9]+")  # str.isdigit() would take "²" and other Unicode digits


# Set by the caller for the calls of one record (`CallRetry.run`: its lease's `call`): entered once a
# governor slot is held, right before the request goes out, and left when its answer is read. So a
# record that waited for a slot while its partition was revoked sends nothing (it raises, e.g.
# `GaveUp`), and the revoke waits only for requests that went out. A context variable: per thread.
ON_WIRE: ContextVar[Callable[[], AbstractContextManager[None]] | None] = ContextVar(
    "netsuite_on_wire", default=None
)


class CallHealth(Protocol):
    """Told of every request: NetSuite answered (2xx, 400, 404), or failed (5xx, 429, no answer)."""

    def on_answer(self) -> None: ...
    def on_failure(self) -> None: ...


class _NoHealth:
    def on_answer(self) -> None: ...
    def on_failure(self) -> None: ...


class NetSuiteClient:
    """Record upserts/gets, SuiteQL and an auth probe against one NetSuite account."""

    def __init__(
        self,
        settings: NetSuiteSettings,
        governor: Governor | None = None,
        *,
        session: requests.Session | None = None,
        property_name_validation: bool = True,
        slot_timeout_s: float | None = None,
    ) -> None:
        """`governor` defaults to one sized `netsuite_concurrency`; a given `session` (tests mount
        adapters on it) gets our auth and headers; `slot_timeout_s` bounds the wait for a slot."""
        self._base = settings.netsuite_base_url
        self._governor = governor or Governor(settings.netsuite_concurrency)
        self._timeout = (settings.netsuite_connect_timeout_s, settings.netsuite_read_timeout_s)
        self._slot_timeout = slot_timeout_s
        validation = {"X-NetSuite-PropertyNameValidation": "Error"}
        self._write_headers = validation if property_name_validation else {}
        self._session = signed_session(settings, session)
        self._health: CallHealth = _NoHealth()

    @property
    def governor(self) -> Governor:
        return self._governor

    def observe(self, health: CallHealth) -> None:
        """Report every request's outcome to `health` (the member's outage breaker)."""
        self._health = health

    def close(self) -> None:
        self._session.close()

    def upsert(
        self, record_type: str, external_id: str, body: Mapping[str, Any], *, replace: Sequence[str] = ()
    ) -> str:
        """PUT by external id (create or update); return the record's internal id."""
        path = _record_path(record_type, None, external_id)
        params = {"replace": ",".join(replace)} if replace else None
        resp = self._request(
            f"upsert:{record_type}", "PUT", path, params=params, json=body, headers=self._write_headers
        )
        internal_id = _id_from_location(resp.headers.get("Location"))
        if internal_id is not None:
            return internal_id
        # An update may answer 204 without a Location (unconfirmed): ask for the id.
        record = self.get(record_type, external_id=external_id, fields=["id"])
        if record is None or not record.get("id"):
            raise Transient(f"upsert:{record_type}: written but not found by external id")
        return str(record["id"])

    def update(self, record_type: str, internal_id: str, body: Mapping[str, Any]) -> None:
        """PATCH the given fields of one record by internal id (the others keep their values)."""
        path = _record_path(record_type, internal_id, None)
        self._request(f"update:{record_type}", "PATCH", path, json=body, headers=self._write_headers)

    def get(
        self,
        record_type: str,
        *,
        internal_id: str | None = None,
        external_id: str | None = None,
        expand_sub_resources: bool = False,
        fields: Sequence[str] | None = None,
    ) -> dict[str, Any] | None:
        """One record by internal or external id; None when NetSuite has no such record."""
        path = _record_path(record_type, internal_id, external_id)
        params: dict[str, str] = {}
        if expand_sub_resources:
            params["expandSubResources"] = "true"
        if fields:
            params["fields"] = ",".join(fields)
        operation = f"get:{record_type}"
        try:
            resp = self._request(operation, "GET", path, params=params)
        except NotFound:
            return None
        return _json_object(resp, operation)

    def suiteql(self, query: str, *, page_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Rows of a SuiteQL query (lowercase column keys), page after page while `hasMore`."""
        if not 1 <= page_size <= 1000:
            raise ValueError("page_size must be within 1..1000")
        offset = 0
        while True:
            params = {"limit": str(page_size), "offset": str(offset)}
            resp = self._request(
                "suiteql", "POST", SUITEQL, params=params, json={"q": query}, headers={"Prefer": "transient"}
            )
            page = _json_object(resp, "suiteql")
            items = page.get("items") or []
            for row in items:
                if isinstance(row, dict):
                    yield {k: v for k, v in row.items() if k != "links"}
            if not page.get("hasMore") or not items:
                return
            offset += page_size  # NetSuite wants offsets that are multiples of the limit

    def record_schema(self, record_type: str) -> dict[str, Any]:
        """The record's JSON Schema from the metadata catalog (custom fields flagged
        `x-ns-custom-field`): NetSuite help, "Working with JSON Schema Metadata"."""
        if not _RECORD_TYPE.fullmatch(record_type):
            raise ValueError(f"not a record type: {record_type!r}")
        path = f"{RECORD}/metadata-catalog/{record_type}"
        resp = self._request(
            f"metadata:{record_type}", "GET", path, headers={"Accept": "application/schema+json"}
        )
        return _json_object(resp, f"metadata:{record_type}")

    def list_one(self, record_type: str) -> None:
        """Read one record of the type (a 403 means the role may not see it)."""
        if not _RECORD_TYPE.fullmatch(record_type):
            raise ValueError(f"not a record type: {record_type!r}")
        self._request(f"list:{record_type}", "GET", f"{RECORD}/{record_type}", params={"limit": "1"})

    def probe(self) -> None:
        """A cheap authenticated read (the integration role can always list customers).

        Returns when the credentials work; raises the typed error otherwise (AuthFailure while the
        token is still refused). Used to decide when a halted consumer may resume.
        """
        self._request("probe", "GET", f"{RECORD}/customer", params={"limit": "1"})

    def _prepare(self, request: requests.Request, operation: str) -> requests.PreparedRequest:
        """Build and sign (a fresh nonce and timestamp each time). A body that cannot be serialised
        is our bug, not NetSuite's: it is raised as it is (the pipeline dead-letters it as a record bug,
        counted and alerted), never retried."""
        try:
            return self._session.prepare_request(request)
        except requests.exceptions.InvalidURL as exc:
            raise Transient(f"{operation}: {type(exc).__name__}") from exc

    def _request(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        # Built and signed before taking a slot (the CPU part: ~1 ms), so a slot is held only while the
        # request is on the wire; signed again inside the slot after a long wait for one (TBA's
        # timestamp must be recent: a stale one is a 401, which would halt the member as bad credentials).
        request = requests.Request(method, self._base + path, params=params, json=json, headers=headers)
        prepared, prepared_at = self._prepare(request, operation), time.monotonic()
        send = self._session.merge_environment_settings(prepared.url, {}, None, None, None)
        with self._governor.slot(self._slot_timeout):  # held only while the request is on the wire
            on_wire = ON_WIRE.get()
            with on_wire() if on_wire is not None else nullcontext():
                if time.monotonic() - prepared_at > RESIGN_AFTER_S:
                    prepared = self._prepare(request, operation)
                started = time.perf_counter()
                resp, label, err = self._send(prepared, send, operation)
                elapsed = time.perf_counter() - started
            # the governor learns of a 429 before this slot goes to the next waiter
            if isinstance(err, Throttled):
                self._governor.on_throttled()
            elif err is None or isinstance(err, Rejected | NotFound | TryAgain):
                self._governor.on_success()  # NetSuite had the capacity to answer
        REQUEST_SECONDS.labels(operation, label).observe(elapsed)
        if err is None and resp is not None:
            self._health.on_answer()
            log.debug("netsuite %s status=%s latency=%.3fs", operation, label, elapsed)
            return resp
        assert err is not None
        if isinstance(err, Throttled):
            THROTTLED.inc()
        if isinstance(err, Rejected | NotFound | TryAgain):
            self._health.on_answer()
        elif isinstance(err, Throttled | Transient):
            self._health.on_failure()
        log.log(
            logging.DEBUG if isinstance(err, NotFound) else logging.WARNING,  # get() expects 404s
            "netsuite %s status=%s code=%s path=%s latency=%.3fs -> %s",
            *(operation, label, err.error_code, err.path, elapsed, type(err).__name__),
        )
        raise err

    def _send(
        self, prepared: requests.PreparedRequest, send: Mapping[str, Any], operation: str
    ) -> tuple[requests.Response | None, str, SyncError | None]:
        """(the answer, its status label, the error it means) — no answer on a timeout or a broken
        connection, which are `Transient`."""
        try:
            resp = self._session.send(prepared, timeout=self._timeout, allow_redirects=False, **send)
        except requests.Timeout as exc:
            err = Transient(f"{operation}: timed out")
            err.__cause__ = exc
            return None, "timeout", err
        except requests.RequestException as exc:  # connection, broken or undecodable body, ...
            err = Transient(f"{operation}: {type(exc).__name__}")
            err.__cause__ = exc
            return None, "connection_error", err
        return resp, str(resp.status_code), error_for(operation, resp)


RESIGN_AFTER_S = 30.0  # well inside TBA's timestamp window (its width is not documented)


def _json_object(resp: requests.Response, operation: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Transient(f"{operation}: answer is not a JSON object", status=resp.status_code)
    return body


def _id_from_location(location: str | None) -> str | None:
    """`…/record/v1/salesOrder/647` → `647`; None when absent or not an internal id."""
    last = urlparse(location or "").path.rstrip("/").rsplit("/", 1)[-1]
    return last if last.isdigit() else None


def _record_path(record_type: str, internal_id: str | None, external_id: str | None) -> str:
    """`/services/rest/record/v1/<type>/<id>` or `…/eid:<externalId>`, each part checked first.

    External ids allow letters, digits, `_` and `-` only (which also keeps the path safe): a bad one
    is the order's problem (Unmappable). A bad record type or id is ours (ValueError, a bug).
    """
    if not _RECORD_TYPE.fullmatch(record_type):
        raise ValueError(f"not a record type: {record_type!r}")
    if (internal_id is None) == (external_id is None):
        raise ValueError("give exactly one of internal_id and external_id")
    if external_id is not None:
        if not _EXTERNAL_ID.fullmatch(external_id):
            raise Unmappable("external id has characters NetSuite does not allow")
        return f"{RECORD}/{record_type}/eid:{external_id}"
    if not _INTERNAL_ID.fullmatch(str(internal_id)):
        raise ValueError("internal ids are digits")
    return f"{RECORD}/{record_type}/{internal_id}"
