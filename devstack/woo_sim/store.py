"""The shop's orders and webhooks, in memory, under one lock.

Orders are kept in the REST v3 shape (the same JSON a webhook delivers: WooCommerce builds the
webhook payload through its REST controller). The store stamps the dates as WooCommerce does —
`date_created`, `date_modified` and `date_paid` in the site's zone and in GMT, one-second resolution —
so every change of an order moves its `date_modified_gmt`.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from devstack.woo_sim.config import WebhookConfig
from devstack.woo_sim.dates import gmt_text, local_text
from devstack.woo_sim.refunds import listed, make_refund, refunded_in_full

Order = dict[str, Any]
PAID = ("processing", "completed")
_DATES = ("date_created", "date_modified", "date_paid", "date_completed")


@dataclass
class Webhook:
    id: int
    name: str
    status: str
    topic: str
    delivery_url: str
    secret: str
    failure_count: int = 0
    created: str = ""

    @classmethod
    def of(cls, config: WebhookConfig, created: str) -> Webhook:
        name = config.name or f"Order {config.topic.split('.', 1)[1]}"
        return cls(
            config.id, name, config.status, config.topic, config.delivery_url, config.secret, 0, created
        )

    def rest(self) -> dict[str, Any]:
        """GET /webhooks (class-wc-rest-webhooks-v2-controller.php, prepare_item_for_response)."""
        resource, event = self.topic.split(".", 1)
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "topic": self.topic,
            "resource": resource,
            "event": event,
            "hooks": [f"woocommerce_{event}_{resource}"],
            "delivery_url": self.delivery_url,
            "date_created": self.created,
            "date_created_gmt": self.created,
            "date_modified": self.created,
            "date_modified_gmt": self.created,
        }


class ShopStore:
    def __init__(
        self, tz: tzinfo, webhooks: tuple[WebhookConfig, ...], clock: Callable[[], datetime]
    ) -> None:
        self.lock = threading.RLock()
        self.tz = tz
        self.clock = clock
        self._orders: dict[int, Order] = {}
        self._refunds: dict[int, list[dict[str, Any]]] = {}  # order id → refunds, newest first
        created = gmt_text(clock())
        self.webhooks: dict[int, Webhook] = {w.id: Webhook.of(w, created) for w in webhooks}

    # --- orders ------------------------------------------------------------------------------------

    def create(self, order: Order, at: datetime | None = None) -> Order:
        """Store a new order (the body's dates are replaced by the shop's own stamps)."""
        moment = (at or self.clock()).astimezone(UTC)
        record = copy.deepcopy(order)
        if not isinstance(record.get("id"), int) or record["id"] <= 0:
            raise ValueError("an order needs an integer id > 0")
        with self.lock:
            if record["id"] in self._orders:
                raise ValueError(f"order {record['id']} exists")
            self._stamp(record, "date_created", moment)
            self._stamp(record, "date_modified", moment)
            paid = record.get("status") in PAID
            self._stamp(record, "date_paid", moment if paid else None)
            self._stamp(record, "date_completed", moment if record.get("status") == "completed" else None)
            self._orders[record["id"]] = record
            return copy.deepcopy(record)

    def modify(self, order_id: int, changes: dict[str, Any], at: datetime | None = None) -> Order:
        """Change an order as an admin or a plugin would: `date_modified` moves with every save."""
        moment = (at or self.clock()).astimezone(UTC)
        with self.lock:
            record = self._orders.get(order_id)
            if record is None:
                raise KeyError(order_id)
            before = record.get("status")
            record.update(copy.deepcopy({k: v for k, v in changes.items() if k not in ("id", *_DATES)}))
            status = record.get("status")
            if status in PAID and not record.get("date_paid_gmt"):
                self._stamp(record, "date_paid", moment)
            if status == "completed" and before != "completed":
                self._stamp(record, "date_completed", moment)
            self._stamp(record, "date_modified", moment)
            return copy.deepcopy(record)

    def refund(
        self,
        order_id: int,
        lines: dict[int, int],
        amount: str | None,
        reason: str,
        at: datetime | None = None,
    ) -> dict[str, Any]:
        """Refund `lines` (order line id → quantity) and/or `amount` of an order (`refunds.py`)."""
        moment = (at or self.clock()).astimezone(UTC)
        with self.lock:
            record = self._orders.get(order_id)
            if record is None:
                raise KeyError(order_id)
            refund = make_refund(
                record,
                lines,
                amount=amount,
                reason=reason,
                created=local_text(moment, self.tz),
                created_gmt=gmt_text(moment),
            )
            self._refunds.setdefault(order_id, []).insert(0, refund)
            record["refunds"] = [listed(refund), *record.get("refunds", [])]
            if refunded_in_full(record):
                record["status"] = "refunded"
            self._stamp(record, "date_modified", moment)
            return copy.deepcopy(refund)

    def refunds(self, order_id: int) -> list[dict[str, Any]] | None:
        """The order's refunds as the REST API lists them, newest first (None: no such order)."""
        with self.lock:
            if order_id not in self._orders:
                return None
            return copy.deepcopy(self._refunds.get(order_id, []))

    def get(self, order_id: int) -> Order | None:
        with self.lock:
            found = self._orders.get(order_id)
            return copy.deepcopy(found) if found is not None else None

    def orders(self) -> list[Order]:
        with self.lock:
            return [copy.deepcopy(o) for o in self._orders.values()]

    def select(
        self,
        keep: Callable[[Order], bool],
        sort_key: Callable[[Order], tuple[Any, ...]],
        descending: bool,
    ) -> list[Order]:
        """Matching orders, sorted (copies)."""
        with self.lock:
            found = [o for o in self._orders.values() if keep(o)]
            found.sort(key=sort_key, reverse=descending)
            return [copy.deepcopy(o) for o in found]

    def _stamp(self, record: Order, name: str, moment: datetime | None) -> None:
        record[f"{name}_gmt"] = gmt_text(moment) if moment is not None else None
        record[name] = local_text(moment, self.tz) if moment is not None else None

    # --- webhooks ----------------------------------------------------------------------------------

    def set_webhook_status(self, webhook_id: int, status: str) -> Webhook:
        if status not in ("active", "paused", "disabled"):
            raise ValueError("a webhook's status is active, paused or disabled")
        with self.lock:
            hook = self.webhooks[webhook_id]
            hook.status = status
            if status == "active":
                hook.failure_count = 0
            return copy.copy(hook)

    def webhook_list(self) -> list[Webhook]:
        with self.lock:
            return [copy.copy(w) for w in sorted(self.webhooks.values(), key=lambda w: w.id)]
