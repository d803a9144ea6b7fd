"""`/__sim/...`: the simulator's own control surface (no auth, not counted, not governed).

For processes that cannot reach the Python object: `make run`'s progress line reads `/__sim/stats`,
benchmarks switch faults on and off with `POST /__sim/faults`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from devstack.netsuite_sim.config import Faults
from devstack.netsuite_sim.messages import Request, Response

if TYPE_CHECKING:
    from devstack.netsuite_sim.app import SimulatorApp

ADMIN_PREFIX = "/__sim/"
_JSON = "application/json"


def handle_admin(request: Request, app: SimulatorApp) -> Response:
    route = request.path[len(ADMIN_PREFIX) :].strip("/")
    method = request.method
    try:
        if route == "stats" and method == "GET":
            return _ok(app.stats())
        if route.startswith("records/") and method == "GET":
            return _ok({"items": app.records(route[len("records/") :])})
        if route == "faults" and method == "GET":
            return _ok(app.injector.faults.to_dict())
        if route == "faults" and method == "POST":
            faults = Faults.from_dict(_json(request))
            app.set_faults(faults)
            return _ok(faults.to_dict())
        if route == "reset" and method == "POST":
            app.reset()
            return _ok({"reset": True})
        if route == "items" and method == "POST":
            data = _json(request)
            items = data.get("items") if isinstance(data, dict) else data
            if not isinstance(items, list):
                raise ValueError('expected a list of items or {"items": [...]}')
            return _ok({"ids": app.add_items(items)})
        if route == "items" and method == "GET":
            return _ok(
                {
                    "items": [
                        r
                        for t in ("inventoryItem", "serviceItem", "nonInventoryItem")
                        for r in app.records(t)
                    ]
                }
            )
    except (ValueError, TypeError, KeyError) as exc:
        return Response(400, {"error": str(exc)}, content_type=_JSON)
    return Response(404, {"error": f"no admin route {method} /__sim/{route}"}, content_type=_JSON)


def _ok(body: Any) -> Response:
    return Response(200, body, content_type=_JSON)


def _json(request: Request) -> Any:
    try:
        return json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not JSON: {exc}") from None
