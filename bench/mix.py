"""The order mix of the latency benchmark: new, returning and guest customers, as signed webhooks.

| category    | the order's customer                                        | NetSuite calls |
|-------------|-------------------------------------------------------------|----------------|
| `new`       | a registered customer's first order                         | 2 (customer, sales order) |
| `returning` | a registered customer seen before the measured phase, same saved addresses | 1 (sales order) |
| `guest`     | a guest checkout (customer id 0) with an email not seen before | 2              |

Before the measured phase, `seed` registered customers place their first order (the pool returning
customers are drawn from), then a warm-up runs the mix unmeasured. Bodies are built and signed
before sending, so the sender only sends.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from consumer.netsuite.external_ids import customer_external_id
from devstack.demo_orders import OrderFactory
from schemas.order import WooOrder

CATEGORIES = ("new", "returning", "guest")


@dataclass(frozen=True)
class Planned:
    order_id: int
    category: str
    phase: str  # seed, warmup, measure
    customer: str  # the NetSuite external id of its customer
    body: bytes
    headers: dict[str, str]


@dataclass
class Mix:
    returning: float
    guests: float
    seed: int = 7
    _factory: OrderFactory = field(init=False)
    _rng: random.Random = field(init=False)
    _pool: list[tuple[int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    _next_id: int = 1

    def __post_init__(self) -> None:
        if not (self.returning >= 0 and self.guests >= 0 and self.returning + self.guests <= 1):
            raise ValueError("returning and guests are shares of the orders: each ≥ 0, together ≤ 1")
        self._factory = OrderFactory(seed=self.seed, repeat_customers=0.0)
        self._rng = random.Random(self.seed + 1)

    @property
    def calls_per_order(self) -> float:
        """What the mix should cost at best: 1 call for a returning customer, 2 for the others."""
        return self.returning + 2 * (1 - self.returning)

    def plan(self, key: str, *, seed: int, warmup: int, measure: int) -> list[Planned]:
        out = [self._order(key, "new", "seed", keep=True) for _ in range(seed)]
        for phase, count in (("warmup", warmup), ("measure", measure)):
            out.extend(self._order(key, self._draw(), phase, keep=False) for _ in range(count))
        return out

    def _draw(self) -> str:
        r = self._rng.random()
        if r < self.returning and self._pool:
            return "returning"
        return "guest" if r < self.returning + self.guests else "new"

    def _order(self, key: str, category: str, phase: str, *, keep: bool) -> Planned:
        order_id, self._next_id = self._next_id, self._next_id + 1
        order = self._factory.order(order_id)
        if category == "returning":
            customer_id, billing, shipping = self._rng.choice(self._pool)
            order["customer_id"], order["billing"], order["shipping"] = (
                customer_id,
                dict(billing),
                dict(shipping),
            )
        elif category == "guest":
            order["customer_id"] = 0
            order["billing"]["email"] = f"guest{order_id}@example.com"
        elif keep:
            self._pool.append((order["customer_id"], order["billing"], order["shipping"]))
        customer = customer_external_id(WooOrder.model_validate(order))
        body, headers = self._factory.delivery(order, key)
        return Planned(order_id, category, phase, customer, body, headers)
