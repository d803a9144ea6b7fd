"""`POST /services/rest/query/v1/suiteql`: read-only SQL over the mirrored tables, paged.

SuiteQL answers every value as text and leaves NULL columns out of the row entirely; clients that
index rows by column must cope with both, so the simulator does the same.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from devstack.netsuite_sim.errors import INVALID_BODY_DETAIL, ApiError
from devstack.netsuite_sim.messages import Request, Response, page_envelope, paging
from devstack.netsuite_sim.store import RecordStore

COLLECTION = "application/vnd.oracle.resource+json; type=collection"


def run_suiteql(request: Request, store: RecordStore, require_prefer_transient: bool) -> Response:
    prefer = (request.header("Prefer") or "").lower()
    if require_prefer_transient and "transient" not in [p.strip() for p in prefer.split(",")]:
        raise ApiError(
            400,
            "INVALID_HEADER",
            "Invalid Prefer header value. SuiteQL queries require the header Prefer: transient.",
            header="Prefer",
        )
    body = request.json_body()
    q = body.get("q")
    if not isinstance(q, str) or not q.strip():
        raise ApiError(400, "INVALID_CONTENT", INVALID_BODY_DETAIL)
    limit, offset = paging(request.query)
    if q.lstrip().split(None, 1)[0].upper() != "SELECT":
        raise _search_error("only SELECT statements can be run")
    try:
        columns, rows = store.query(q)
    except (sqlite3.Error, sqlite3.Warning) as exc:
        raise _search_error(str(exc)) from None
    items = [_row(columns, row) for row in rows[offset : offset + limit]]
    url = f"{request.base_url}/services/rest/query/v1/suiteql"
    envelope = page_envelope(url, {}, len(rows), limit, offset, items)
    return Response(200, envelope, content_type=COLLECTION)


def _row(columns: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {"links": []}
    for name, value in zip(columns, row, strict=True):
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = str(value)
    return out


def _search_error(reason: str) -> ApiError:
    return ApiError(
        400,
        "INVALID_PARAMETER",
        f"Invalid search query. Detailed unprocessed description follows. Search error occurred: {reason}.",
    )
