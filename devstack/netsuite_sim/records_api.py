"""`/services/rest/record/v1/...`: create, upsert by external id, update, read, filter, delete.

Each write validates and saves under the store lock. Sublist lines are appended on update unless
`?replace=<sublist>` names them — the NetSuite behaviour that makes a careless retry double an
order's lines, and that the consumer must defeat with `replace=item`.

Updates and upserts load the record, then save it, with NetSuite's optimistic lock in between
(`SimulatorConfig.save_window_s` widens the gap): when another save of the same record landed
meanwhile the update fails with 400 `RCRD_HAS_BEEN_CHANGED` ("Record has been changed"), and when
another request created the record an upsert meant to create fails with 400 `DUP_ENTITY` ("This
entity already exists.", `DUP_RCRD` for transactions) — Oracle's "Error Status Codes"
(section_N3539978). Both mean "try again": the retry updates the record that now exists.
"""

from __future__ import annotations

import threading
from typing import Any

from devstack.netsuite_sim.config import SimulatorConfig
from devstack.netsuite_sim.credit_checks import check_total
from devstack.netsuite_sim.deposits import (
    applications,
    check_customer_refund,
    refresh_deposits,
    settle_deposit,
)
from devstack.netsuite_sim.errors import ApiError, not_found, user_error
from devstack.netsuite_sim.fields import clean
from devstack.netsuite_sim.fulfilment import refuse_removing_done_lines
from devstack.netsuite_sim.messages import Request, Response
from devstack.netsuite_sim.reads import PREFIX, collection, get, sublist
from devstack.netsuite_sim.store import CREDIT_TYPES, RECORD_TYPES, RecordStore, merge
from devstack.netsuite_sim.suitetax import settle
from devstack.netsuite_sim.validation import check_body, check_complete

_CANONICAL = {t.lower(): t for t in RECORD_TYPES}


def handle_record(
    request: Request, store: RecordStore, config: SimulatorConfig, stop: threading.Event
) -> Response:
    parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
    record_type = _CANONICAL.get(parts[0].lower()) if parts else None
    if record_type is None or len(parts) > 3:
        raise ApiError(404, "NONEXISTENT_ID", "The requested record type or path does not exist.")
    key = parts[1] if len(parts) > 1 else None
    method = request.method
    if key is None:
        if method == "POST":
            return _create(request, store, record_type, config)
        if method == "GET":
            return collection(request, store, record_type)
    elif len(parts) == 3 and method == "GET":
        return sublist(request, store, record_type, key, parts[2])
    elif len(parts) == 2:
        if method == "GET":
            return get(request, store, record_type, key)
        if method == "PUT":
            return _upsert(request, store, record_type, key, config, stop)
        if method == "PATCH":
            return _update(request, store, record_type, key, config, stop)
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


def _merged(
    request: Request, record_type: str, existing: dict[str, Any], body: dict[str, Any]
) -> dict[str, Any]:
    """An update of a record as NetSuite applies it: a sales order keeps its fulfilled or billed lines."""
    if record_type == "salesOrder":
        refuse_removing_done_lines(existing, body, _replace(request))
    return merge(existing, body, _replace(request))


def _replace(request: Request) -> set[str]:
    return {name.strip() for name in request.query.get("replace", "").split(",") if name.strip()}


def _claim_external_id(store: RecordStore, record_type: str, record: dict[str, Any]) -> None:
    external_id = record.get("externalId")
    if external_id is None:
        return
    owner = store.owner_of_eid(record_type, str(external_id))
    if owner is not None and (owner[0] != record_type or owner[1] != record.get("id")):
        raise user_error("This entity already exists.", "externalId")


def _save(
    store: RecordStore,
    record_type: str,
    body: dict[str, Any],
    record: dict[str, Any],
    config: SimulatorConfig,
) -> str:
    check_body(record_type, body, store, config)
    check_complete(record_type, record, store, config)
    _claim_external_id(store, record_type, record)
    if record_type == "salesOrder" or record_type in CREDIT_TYPES:
        settle(record, config, store)
    if record_type in CREDIT_TYPES:
        check_total(record)
    if record_type == "customerRefund":
        check_customer_refund(record, store, config)
    if record_type == "customerDeposit":
        settle_deposit(store, record)
    record_id = store.save(record_type, record)
    if record_type == "customerRefund":
        refresh_deposits(store, {doc for doc, _ in applications(record)})
    return record_id


def _create(request: Request, store: RecordStore, record_type: str, config: SimulatorConfig) -> Response:
    body = _cleaned(request, record_type)
    with store.lock:
        record_id = _save(store, record_type, body, dict(body), config)
    return Response(204, headers=_location(request, record_type, record_id), wrote=True)


def _load(store: RecordStore, record_type: str, key: str) -> tuple[dict[str, Any] | None, int]:
    """The record and its save stamp, as NetSuite loads it before applying the changes."""
    with store.lock:
        existing = store.find(record_type, key)
        return existing, 0 if existing is None else store.version(record_type, str(existing["id"]))


def _reload(store: RecordStore, record_type: str, key: str, loaded: dict[str, Any] | None, stamp: int) -> Any:
    """The record again at save time (caller holds the lock); NetSuite's optimistic lock."""
    current = store.find(record_type, key)
    if loaded is None and current is not None:
        entity = record_type == "customer"
        raise ApiError(
            400,
            "DUP_ENTITY" if entity else "DUP_RCRD",
            "This entity already exists." if entity else "This record already exists.",
        )
    if loaded is not None and (current is None or store.version(record_type, str(current["id"])) != stamp):
        raise ApiError(400, "RCRD_HAS_BEEN_CHANGED", "Record has been changed")
    return current


def _upsert(
    request: Request,
    store: RecordStore,
    record_type: str,
    key: str,
    config: SimulatorConfig,
    stop: threading.Event,
) -> Response:
    if not key.startswith("eid:"):
        raise ApiError(
            405, "INVALID_REQUEST", "PUT is supported only with an external ID: .../<record type>/eid:<id>."
        )
    external_id = key[4:]
    body = _cleaned(request, record_type)
    if body.get("externalId", external_id) != external_id:
        raise user_error("The externalId in the body differs from the one in the URL.", "externalId")
    body["externalId"] = external_id
    loaded, stamp = _load(store, record_type, key)
    if config.save_window_s:
        stop.wait(config.save_window_s)
    with store.lock:
        existing = _reload(store, record_type, key, loaded, stamp)
        record = dict(body) if existing is None else _merged(request, record_type, existing, body)
        record_id = _save(store, record_type, body, record, config)
    return Response(204, headers=_location(request, record_type, record_id), wrote=True)


def _update(
    request: Request,
    store: RecordStore,
    record_type: str,
    key: str,
    config: SimulatorConfig,
    stop: threading.Event,
) -> Response:
    body = _cleaned(request, record_type)
    loaded, stamp = _load(store, record_type, key)
    if loaded is None:
        raise not_found(record_type, key)
    if config.save_window_s:
        stop.wait(config.save_window_s)
    with store.lock:
        existing = _reload(store, record_type, key, loaded, stamp)
        record_id = _save(store, record_type, body, _merged(request, record_type, existing, body), config)
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
