"""Reads of `/services/rest/record/v1/...`: one record, one sublist, a filtered collection.

A record renders as GET shows it: a self link, references as `{"id": "<text>"}`, sublists as links
unless `expandSubResources=true`, and `?fields=a,b` keeps only those (links and id always come back).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from devstack.netsuite_sim.errors import not_found
from devstack.netsuite_sim.fields import BODY_FIELDS
from devstack.netsuite_sim.filters import parse_q
from devstack.netsuite_sim.messages import Request, Response, page_envelope, paging
from devstack.netsuite_sim.store import RecordStore, is_sublist

PREFIX = "/services/rest/record/v1/"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"


def get(request: Request, store: RecordStore, record_type: str, key: str) -> Response:
    expand = request.query.get("expandSubResources", "").lower() == "true"
    with store.lock:
        record = store.find(record_type, key)
        if record is None:
            raise not_found(record_type, key)
        rendered = render(request.base_url, record_type, record, expand)
    wanted = {f.strip() for f in request.query.get("fields", "").split(",") if f.strip()}
    if wanted:  # `?fields=a,b`: only those (links and id always come back)
        rendered = {k: v for k, v in rendered.items() if k in wanted or k in ("links", "id")}
    return Response(200, rendered)


def sublist(request: Request, store: RecordStore, record_type: str, key: str, name: str) -> Response:
    with store.lock:
        record = store.find(record_type, key)
        if record is None or not is_sublist(record.get(name)):
            raise not_found(record_type, f"{key}/{name}")
        rendered = render(request.base_url, record_type, record, expand=True)
    return Response(200, rendered[name], content_type=COLLECTION)


def collection(request: Request, store: RecordStore, record_type: str) -> Response:
    limit, offset = paging(request.query)
    known, prefix = BODY_FIELDS[record_type]
    q = request.query.get("q")
    predicate = None
    if q is not None:
        predicate = parse_q(q, lambda name: name in known or name == "id" or name.startswith(prefix))
    ids = store.select(record_type, predicate)
    url = f"{request.base_url}{PREFIX}{record_type}"
    items = [
        {"links": [{"rel": "self", "href": f"{url}/{i}"}], "id": i} for i in ids[offset : offset + limit]
    ]
    query = {"q": q} if q is not None else {}
    return Response(200, page_envelope(url, query, len(ids), limit, offset, items), content_type=COLLECTION)


def render(base_url: str, record_type: str, record: dict[str, Any], expand: bool) -> dict[str, Any]:
    """A record as GET shows it: self link, references as `{"id": ...}`, sublists as links."""
    self_url = f"{base_url}{PREFIX}{record_type}/{quote(str(record['id']))}"
    out: dict[str, Any] = {"links": [{"rel": "self", "href": self_url}], "id": str(record["id"])}
    for key, value in record.items():
        if is_sublist(value):
            links = [{"rel": "self", "href": f"{self_url}/{key}"}]
            if expand:
                lines = [{"links": [], **_refs(line)} for line in value["items"]]
                out[key] = {"links": links, "items": lines, "totalResults": len(lines)}
            else:
                out[key] = {"links": links}
        else:
            out[key] = _refs(value) if isinstance(value, dict) else value
    return out


def _refs(obj: dict[str, Any]) -> dict[str, Any]:
    """References keep only `{"id": "<text>"}`; subrecords are rendered field by field."""
    if "id" in obj and not isinstance(obj["id"], dict):
        return {**obj, "id": str(obj["id"])}
    return {k: _refs(v) if isinstance(v, dict) else v for k, v in obj.items()}
