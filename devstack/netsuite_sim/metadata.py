"""The account's shape as the REST API describes it: the metadata catalog, custom fields, the role.

* `GET /services/rest/record/v1/metadata-catalog/<type>` with `Accept: application/schema+json`
  answers the record's JSON Schema: its fields under `properties`, custom ones flagged
  `"x-ns-custom-field": true` ("Working with JSON Schema Metadata", NetSuite help,
  docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545129726.html). Only the custom
  fields the account defines (`SimulatorConfig.custom_fields`) are listed.
* A custom field the account does not define is an unknown property like any other: dropped, or a
  400 under `X-NetSuite-PropertyNameValidation: Error` — a missing version field fails loudly.
* A role without permission for a record type (`SimulatorConfig.denied_record_types`) gets 403
  `INSUFFICIENT_PERMISSION` on every request about it, SuiteQL included when `suiteql_allowed` is false.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping

from devstack.netsuite_sim.errors import ApiError, user_error
from devstack.netsuite_sim.fields import BODY_FIELDS
from devstack.netsuite_sim.messages import Request, Response
from devstack.netsuite_sim.reads import PREFIX
from devstack.netsuite_sim.store import RECORD_TYPES

CATALOG = PREFIX + "metadata-catalog"
_CANONICAL = {t.lower(): t for t in RECORD_TYPES}


def is_catalog(request: Request) -> bool:
    return request.path == CATALOG or request.path.startswith(CATALOG + "/")


def catalog(request: Request, custom_fields: Mapping[str, tuple[str, ...]]) -> Response:
    name = request.path[len(CATALOG) :].strip("/")
    if not name:
        items = [{"name": t} for t in RECORD_TYPES]
        return Response(200, {"items": items})
    record_type = _CANONICAL.get(name.lower())
    if record_type is None or record_type not in BODY_FIELDS:
        raise ApiError(404, "NONEXISTENT_ID", f"The record type {name} does not exist.")
    known, _prefix = BODY_FIELDS[record_type]
    properties: dict[str, object] = {field: {"type": "string", "nullable": True} for field in sorted(known)}
    for field in custom_fields.get(record_type, ()):
        properties[field] = {"title": field, "type": "string", "nullable": True, "x-ns-custom-field": True}
    return Response(200, {"type": "object", "properties": properties})


def record_type_of(request: Request) -> str | None:
    """The record type a record request is about (None for other paths)."""
    if not request.path.startswith(PREFIX) or is_catalog(request):
        return None
    first = request.path[len(PREFIX) :].split("/", 1)[0]
    return _CANONICAL.get(first.lower())


def forbidden(what: str) -> ApiError:
    return ApiError(
        403,
        "INSUFFICIENT_PERMISSION",
        f"Permission Violation: You need the permission for {what} to access this page.",
    )


def declared_only(
    request: Request, record_type: str, custom_fields: Mapping[str, tuple[str, ...]]
) -> Request:
    """A write's custom fields the account does not define: 400 under strict property-name
    validation, else dropped as NetSuite drops unknown properties."""
    if request.method not in ("POST", "PUT", "PATCH") or not request.body:
        return request
    _known, prefix = BODY_FIELDS.get(record_type, (frozenset(), ""))
    body = request.json_body()
    undeclared = [
        k for k in body if prefix and k.startswith(prefix) and k not in custom_fields.get(record_type, ())
    ]
    if not undeclared:
        return request
    if (request.header("X-NetSuite-PropertyNameValidation") or "").lower() == "error":
        raise user_error(
            f'Invalid property name: "{undeclared[0]}" is not a field of {record_type}.', undeclared[0]
        )
    kept = {k: v for k, v in body.items() if k not in undeclared}
    return dataclasses.replace(request, body=json.dumps(kept).encode())
