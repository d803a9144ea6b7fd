"""bench.consumer's orders: the workload (returning customers keep their profile unless asked) and
publishing it as the receiver does."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Producer

from common import headers as h
from devstack.demo_orders import OrderFactory, php_json
from schemas.order import OrderEvent, WooOrder
from schemas.serde import SingleObjectSerde


@dataclass(frozen=True)
class Workload:
    orders: list[dict[str, Any]]
    events: list[OrderEvent]

    @property
    def customers(self) -> int:
        return len({o["customer_id"] for o in self.orders})

    def new_and_returning(self, first_n: int | None = None) -> tuple[int, int]:
        """(orders whose customer is seen for the first time, orders of a returning customer)."""
        orders = self.orders if first_n is None else self.orders[:first_n]
        new = len({o["customer_id"] for o in orders})
        return new, len(orders) - new


def build_workload(n: int, *, seed: int, repeat_customers: float, vary_profiles: bool) -> Workload:
    factory = OrderFactory(seed=seed, repeat_customers=repeat_customers)
    profiles: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    orders, events = [], []
    now_ms = int(time.time() * 1000)
    for order_id in range(1, n + 1):
        order = factory.order(order_id)
        if not vary_profiles:
            billing, shipping = profiles.setdefault(
                order["customer_id"], (order["billing"], order["shipping"])
            )
            order["billing"], order["shipping"] = dict(billing), dict(shipping)
        orders.append(order)
        events.append(order_event(order, now_ms))
    return Workload(orders, events)


def order_event(order: dict[str, Any], received_at_ms: int) -> OrderEvent:
    """An order.created event for `order`, as the receiver would publish its webhook."""
    return OrderEvent(
        order=WooOrder.model_validate(order),
        webhook_topic="order.created",
        received_at_ms=received_at_ms,
        raw_body=php_json(order),
    )


def produce(bootstrap: str, topic: str, events: list[OrderEvent]) -> None:
    """Publish like the receiver does (idempotent, murmur2 by key, webhook-topic header); wait for acks."""
    serde = SingleObjectSerde()
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "enable.idempotence": True,
            "partitioner": "murmur2_random",
            "linger.ms": 5,
        }
    )
    failures: list[str] = []

    def on_delivery(err: Any, _msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    for event in events:
        producer.produce(
            topic,
            key=event.key,
            value=serde.encode(event, topic),
            headers=[(h.WEBHOOK_TOPIC, event.webhook_topic.encode())],
            on_delivery=on_delivery,
        )
        producer.poll(0)
    if producer.flush(60) != 0 or failures:
        raise RuntimeError(f"producing to {topic} failed: {failures[:3]}")


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    from confluent_kafka.admin import AdminClient
    from confluent_kafka.cimpl import NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, partitions, 1)]).values():
        future.result(30)
