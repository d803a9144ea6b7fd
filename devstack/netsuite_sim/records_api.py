"""`/services/rest/record/v1/...`: create, upsert by external id, update, read, filter, delete.

Each write validates and saves under the store lock, so read-check-write is atomic. Sublist lines
are appended on update unless `?replace=<sublist>` names them — the NetSuite behaviour that makes a
careless retry double an order's lines, and that the consumer must defeat with `replace=item`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from devstack.netsuite_sim.errors import ApiError, not_found, user_error
from devstack.netsuite_sim.fields import BODY_FIELDS, clean
from devstack.netsuite_sim.filters import parse_q
from devstack.netsuite_sim.messages import Request, Response, page_envelope, paging
from devstack.netsuite_sim.store import RECORD_TYPES, RecordStore, is_sublist, merge
from devstack.netsuite_sim.validation import check_body, check_complete

PREFIX = "/services/rest/record/v1/"
COLLECTION = "application/vnd.oracle.resource+json; type=collection"
_CANONICAL = {t.lower(): t for t in RECORD_TYPES}


def handle_record(request: Request, store: RecordStore) -> Response:
    parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
    record_type = _CANONICAL.get(parts[0].lower()) if parts else None
    if record_type is None or len(parts) > 3:
        raise ApiError(404, "NONEXISTENT_ID", "The requested record type or path does not exist.")
    key = parts[1] if len(parts) > 1 else None
    method = request.method
    if key is None:
        if method == "POST":
            return _create(request, store, record_type)
        if method == "GET":
            return _collection(request, store, record_type)
    elif len(parts) == 3 and method == "GET":
        return _sublist(request, store, record_type, key, parts[2])
    elif len(parts) == 2:
        if method == "GET":
            return _get(request, store, record_type, key)
        if method == "PUT":
            return _upsert(request, store, record_type, key)
        if method == "PATCH":
            return _update(request, store, record_type, key)
        if method == "DELETE":
            return _delete(request, store, record_type, key)
    raise ApiError(405, "INVALID_REQUEST", f"The {method} method is not supported on this resource.")


def _location(request: Request, record_type: str, record_id: str) -> dict[str, str]:
    return {"Location": f"{request.base_url}{PREFIX}{record_type}/{record_id}"}


def _cleaned(request: Request, record_type: str) -> dict[str, Any]:
    body = request.json_body()
    strict = (request.header("X-NetSuite-PropertyNameValidation") or "").lower() == "error"

    def on_unknown(path: str) -> None:
        if strict:
            raise user_error(f'Invalid property name: "{path}" is not a field of {record_type}.', path)

    return clean(record_type, body, on_unknown)


def _replace(request: Request) -> set[str]:
    return {name.strip() for name in request.query.get("replace", "").split(",") if name.strip()}


def _claim_external_id(store: RecordStore, record_type: str, record: dict[str, Any]) -> None:
    external_id = record.get("externalId")
    if external_id is None:
        return
    owner = store.owner_of_eid(record_type, str(external_id))
    if owner is not None and (owner[0] != record_type or owner[1] != record.get("id")):
        raise user_error("This entity already exists.", "externalId")


def _save(store: RecordStore, record_type: str, body: dict[str, Any], record: dict[str, Any]) -> str:
    check_body(record_type, body, store)
    check_complete(record_type, record)
    _claim_external_id(store, record_type, record)
    return store.save(record_type, record)


def _create(request: Request, store: RecordStore, record_type: str) -> Response:
    body = _cleaned(request, record_type)
    with store.lock:
        record_id = _save(store, record_type, body, dict(body))
    return Response(204, headers=_location(request, record_type, record_id), wrote=True)


def _upsert(request: Request, store: RecordStore, record_type: str, key: str) -> Response:
    if not key.startswith("eid:"):
        raise ApiError(
            405, "INVALID_REQUEST", "PUT is supported only with an external ID: .../<record type>/eid:<id>."
        )
    external_id = key[4:]
    body = _cleaned(request, record_type)
    if body.get("externalId", external_id) != external_id:
        raise user_error("The externalId in the body differs from the one in the URL.", "externalId")
    body["externalId"] = external_id
    with store.lock:
        existing = store.find(record_type, key)
        record = dict(body) if existing is None else merge(existing, body, _replace(request))
        record_id = _save(store, record_type, body, record)
    return Response(204, headers=_location(request, record_type, record_id), wrote=True)


def _update(request: Request, store: RecordStore, record_type: str, key: str) -> Response:
    body = _cleaned(request, record_type)
    with store.lock:
        existing = store.find(record_type, key)
        if existing is None:
            raise not_found(record_type, key)
        record_id = _save(store, record_type, body, merge(existing, body, _replace(request)))
    return Response(204, headers=_location(request, record_type, record_id), wrote=True)


def _delete(request: Request, store: RecordStore, record_type: str, key: str) -> Response:
    with store.lock:
        existing = store.find(record_type, key)
        if existing is None:
            raise not_found(record_type, key)
        record_id = str(existing["id"])
        if record_type == "customer" and store.select(
            "salesOrder", lambda order: str(order.get("entity", {}).get("id")) == record_id
        ):
            raise user_error("This record cannot be deleted because it has dependent records.")
        store.delete(record_type, record_id)
    return Response(204, wrote=True)


def _get(request: Request, store: RecordStore, record_type: str, key: str) -> Response:
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


def _sublist(request: Request, store: RecordStore, record_type: str, key: str, name: str) -> Response:
    with store.lock:
        record = store.find(record_type, key)
        if record is None or not is_sublist(record.get(name)):
            raise not_found(record_type, f"{key}/{name}")
        rendered = render(request.base_url, record_type, record, expand=True)
    return Response(200, rendered[name], content_type=COLLECTION)


def _collection(request: Request, store: RecordStore, record_type: str) -> Response:
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
