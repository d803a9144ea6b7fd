"""Transport-free requests and answers, and the paging shared by collections and SuiteQL.

Route code takes a `Request` and returns a `Response` (or raises `ApiError`), so it is plain Python
with no socket in sight; `handler.py` is the only place that speaks HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from devstack.netsuite_sim.errors import INVALID_BODY_DETAIL, ApiError, invalid_parameter

MAX_PAGE = 1000


@dataclass(frozen=True)
class Request:
    method: str
    target: str  # the request-target exactly as sent (path and query, still percent-encoded)
    path: str  # decoded path, no query
    query: dict[str, str]  # last value wins
    headers: dict[str, str]  # lowercase names
    body: bytes
    base_url: str  # http://host:port as the client addressed us

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json_body(self) -> dict[str, Any]:
        """The JSON object in the body, or NetSuite's 400 for anything else."""
        try:
            data = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ApiError(400, "INVALID_CONTENT", INVALID_BODY_DETAIL) from None
        if not isinstance(data, dict):
            raise ApiError(400, "INVALID_CONTENT", INVALID_BODY_DETAIL)
        return data


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able, or None for no body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/vnd.oracle.resource+json; type=record"
    wrote: bool = False  # a record was committed (fail-after-commit faults apply only then)


def paging(query: dict[str, str]) -> tuple[int, int]:
    """(limit, offset) from the query string: limit 1..1000 (default 1000), offset a multiple of it."""
    limit = _int_param(query, "limit", MAX_PAGE)
    offset = _int_param(query, "offset", 0)
    if not 1 <= limit <= MAX_PAGE:
        raise invalid_parameter(f"The limit must be between 1 and {MAX_PAGE}.", "limit")
    if offset < 0 or offset % limit:
        raise invalid_parameter("The offset must be a non-negative multiple of the limit.", "offset")
    return limit, offset


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise invalid_parameter(f"Invalid value for the {name} query parameter.", name) from None


def page_envelope(
    url: str, query: dict[str, str], total: int, limit: int, offset: int, items: list[dict[str, Any]]
) -> dict[str, Any]:
    """`{links, count, hasMore, offset, totalResults, items}` with self/first/next/last links."""

    def link(rel: str, at: int) -> dict[str, str]:
        params = {**query, "limit": str(limit), "offset": str(at)}
        return {"rel": rel, "href": f"{url}?{urlencode(params)}"}

    has_more = offset + len(items) < total
    links = [link("self", offset), link("first", 0)]
    if offset > 0:
        links.append(link("previous", max(0, offset - limit)))
    if has_more:
        links.append(link("next", offset + limit))
    last = ((total - 1) // limit) * limit if total else 0
    links.append(link("last", last))
    return {
        "links": links,
        "count": len(items),
        "hasMore": has_more,
        "offset": offset,
        "totalResults": total,
        "items": items,
    }
