"""One simulated shop: its state, the REST path every API request takes, and the `/__sim/` controls.

Order of checks on the REST path, as a shop behind a proxy answers: injected 429/503 (the proxy or
WAF) → key authentication (`auth.py`) → the route (`rest.py`). The controls (`/__sim/...`, no auth)
create and change orders — with or without the webhook WooCommerce would send — and switch webhooks,
for processes that cannot reach the Python object (`make run`).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from devstack.woo_sim.auth import authorize
from devstack.woo_sim.config import Faults, WooSimConfig
from devstack.woo_sim.dates import site_timezone
from devstack.woo_sim.delivery import Deliverer
from devstack.woo_sim.messages import Request, Response, RestError
from devstack.woo_sim.rest import PREFIX, handle_rest
from devstack.woo_sim.store import Order, ShopStore

ADMIN_PREFIX = "/__sim/"
ListHook = Callable[[Request], None]


class WooApp:
    def __init__(self, config: WooSimConfig, clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.store = ShopStore(
            site_timezone(config.timezone), config.webhooks, clock or (lambda: datetime.now(UTC))
        )
        self.deliverer = Deliverer(self.store, config.site_url, config.delivery_timeout_s)
        self._faults = config.faults
        self._lock = threading.Lock()
        self.by_status: Counter[int] = Counter()
        self.list_hooks: list[ListHook] = []  # run before an order list is answered (paging tests)

    # --- the shop ----------------------------------------------------------------------------------

    def create_order(self, order: Order, *, deliver: bool = True, at: datetime | None = None) -> Order:
        """A new order; `deliver=False` is an order WooCommerce never sent (a lost delivery)."""
        created = self.store.create(order, at)
        if deliver:
            self.deliverer.order_event(created["id"], "order.created")
        return created

    def modify_order(
        self, order_id: int, changes: dict[str, Any], *, deliver: bool = True, at: datetime | None = None
    ) -> Order:
        changed = self.store.modify(order_id, changes, at)
        if deliver:
            self.deliverer.order_event(order_id, "order.updated")
        return changed

    def refund_order(
        self,
        order_id: int,
        lines: dict[int, int] | None = None,
        *,
        amount: str | None = None,
        reason: str = "",
        deliver: bool = True,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Refund as an admin would (the order lists it, `order.updated` goes out); returns the refund."""
        refund = self.store.refund(order_id, lines or {}, amount, reason, at)
        if deliver:
            self.deliverer.order_event(order_id, "order.updated")
        return refund

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self._faults = faults

    def _injected(self) -> Response | None:
        with self._lock:
            faults = self._faults
            if faults.throttle_next_n:
                self._faults = Faults(faults.throttle_next_n - 1, faults.error_next_n, faults.retry_after_s)
                body = {"code": "too_many_requests", "message": "Too Many Requests", "data": {"status": 429}}
                return Response(429, body, {"Retry-After": str(faults.retry_after_s)})
            if faults.error_next_n:
                self._faults = Faults(faults.throttle_next_n, faults.error_next_n - 1, faults.retry_after_s)
                return Response(503, {"code": "service_unavailable", "message": "Service Unavailable"})
        return None

    # --- HTTP --------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith(ADMIN_PREFIX):
            return self._admin(request)
        response = self._api(request)
        with self._lock:
            self.by_status[response.status] += 1
        return response

    def _api(self, request: Request) -> Response:
        injected = self._injected()
        if injected is not None:
            return injected
        try:
            if not request.path.startswith(PREFIX):
                raise RestError(
                    404, "rest_no_route", "No route was found matching the URL and request method."
                )
            authorize(request, self.config)
            if request.path.rstrip("/").endswith("/orders") and request.method == "GET":
                for hook in list(self.list_hooks):
                    hook(request)
            return handle_rest(request, self.store)
        except RestError as error:
            return error.response()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_status = dict(self.by_status)
        d = self.deliverer
        return {
            "orders": len(self.store.orders()),
            "webhooks": [w.rest() | {"failure_count": w.failure_count} for w in self.store.webhook_list()],
            "deliveries": {"sent": d.sent, "failed": d.failed, "coalesced": d.coalesced},
            "by_status": by_status,
        }

    def _admin(self, request: Request) -> Response:
        route = request.path[len(ADMIN_PREFIX) :].strip("/").split("/")
        try:
            data = request.json_body() if request.method == "POST" else None
            data = data if isinstance(data, dict) else {}
            if route == ["stats"] and request.method == "GET":
                return Response(200, self.stats())
            if route == ["orders"] and request.method == "POST":
                return Response(
                    201, self.create_order(data["order"], deliver=bool(data.get("deliver", True)))
                )
            if (
                len(route) == 3
                and route[0] == "orders"
                and route[2] == "refunds"
                and request.method == "POST"
            ):
                lines = {int(k): int(v) for k, v in dict(data.get("lines") or {}).items()}
                refund = self.refund_order(
                    int(route[1]),
                    lines,
                    amount=data.get("amount"),
                    reason=str(data.get("reason", "")),
                    deliver=bool(data.get("deliver", True)),
                )
                return Response(201, refund)
            if len(route) == 2 and route[0] == "orders" and request.method == "POST":
                changes, deliver = data.get("changes", {}), bool(data.get("deliver", True))
                return Response(200, self.modify_order(int(route[1]), changes, deliver=deliver))
            if len(route) == 2 and route[0] == "webhooks" and request.method == "POST":
                return Response(200, self.store.set_webhook_status(int(route[1]), str(data["status"])).rest())
            if route == ["faults"] and request.method == "POST":
                self.set_faults(Faults(**data))
                return Response(200, {"ok": True})
        except (KeyError, ValueError, TypeError, RestError) as exc:
            return Response(400, {"error": str(exc)})
        return Response(404, {"error": f"no admin route {request.method} {request.path}"})
