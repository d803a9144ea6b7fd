"""`python -m bench.memory`: what the group's memory in Kafka costs and saves (README "Memory").

1. Restore time: a member reads the whole customer table before it joins, and a partition's order
   memory before it processes that partition. Measured for tables of growing size, written to the
   embedded broker as `MemoryLog` writes them.
2. NetSuite calls per order for returning customers after a restart, with the memory topics and
   without (the same workload, measured in the same run).
3. What a full garbage collection costs with the memory at its default bounds, against the memory as
   it was kept before its entries were packed (`bench.memory_gc`, same run).
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Any

from confluent_kafka import Producer
from prometheus_client import REGISTRY

from bench import memory_gc
from bench.consumer_runs import SESSION_TIMEOUT_MS
from bench.consumer_workload import order_event, produce
from common.kafka_settings import KafkaSettings
from consumer.pipeline.changelog import MemoryLog
from consumer.pipeline.codec import encode_customer, encode_order
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.versions import CustomerMemory, OrderMemory, Placed
from consumer.settings import ConsumerSettings
from consumer.topics import ensure_topics
from devstack.broker import start_tansu
from devstack.demo_orders import OrderFactory
from devstack.member_thread import running_member
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig


def restore_times(bootstrap: str, sizes: list[int]) -> list[tuple[int, float, float]]:
    """(entries, seconds to read the customer table, seconds to restore one order partition)."""
    out = []
    for size in sizes:
        settings = KafkaSettings(
            kafka_bootstrap_servers=bootstrap, orders_topic=f"bench-{uuid.uuid4().hex[:8]}"
        )
        ensure_topics(settings)
        orders_topic, customers_topic = settings.memory_topics
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "compression.type": "lz4"})
        customer = encode_customer(CustomerMemory("123456", Placed("2026-11-01T10:00:00", 4711), "f" * 64))
        order = encode_order(OrderMemory("2026-11-01T10:00:00", "f" * 64, None))
        for n in range(size):
            producer.produce(customers_topic, key=f"WOO_CUST_{n}".encode(), value=customer)
            producer.produce(orders_topic, key=str(n).encode(), value=order, partition=0)
            if n % 10_000 == 0:
                producer.poll(0)
        assert producer.flush(120) == 0
        memory = WriteMemory(orders_max=size + 1, customers_max=size + 1)
        config = {"bootstrap.servers": bootstrap}
        log = MemoryLog(config, orders_topic, customers_topic, memory, config)
        started = time.monotonic()
        assert log.start(timeout_s=600), "customer table not read"
        customers_s = time.monotonic() - started
        started = time.monotonic()
        log.track({0})
        while log.restoring():
            time.sleep(0.01)
        orders_s = time.monotonic() - started
        log.close()
        out.append((size, customers_s, orders_s))
    return out


def calls_after_restart(bootstrap: str, orders: int, memory_topics: bool) -> dict[str, float]:
    with NetSuiteSimulator(SimulatorConfig(concurrency_limit=15, seed=3)) as sim:
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        values: dict[str, Any] = {k.lower(): v for k, v in sim.env().items()}
        values.update(
            kafka_bootstrap_servers=bootstrap,
            orders_topic=f"{prefix}.orders",
            consumer_group=f"{prefix}-group",
            kafka_session_timeout_ms=SESSION_TIMEOUT_MS,
            metrics_port=0,
            consumer_memory_topics=memory_topics,
            netsuite_concurrency=15,
            netsuite_payment_records=False,  # the sales order's calls (payments add one per paid order)
        )
        settings = ConsumerSettings(**values)
        ensure_topics(settings)
        factory = OrderFactory(seed=5, repeat_customers=0)
        first = [factory.order(n) for n in range(1, orders + 1)]
        produce(bootstrap, settings.orders_topic, [order_event(o, _now_ms()) for o in first])
        with running_member(settings):
            _wait(lambda: len(sim.records("salesOrder")) >= orders)
        again = []
        for n, previous in enumerate(first):
            order = factory.order(orders + 1 + n)
            order.update({k: previous[k] for k in ("customer_id", "billing", "shipping")})
            again.append(order)
        before = sim.stats()["requests"]
        produce(bootstrap, settings.orders_topic, [order_event(o, _now_ms()) for o in again])
        with running_member(settings):
            _wait(lambda: len(sim.records("salesOrder")) >= 2 * orders)
        made = sim.stats()["requests"] - before
        lookups = _suiteql_since_start()
        return {"calls_per_order": made / orders, "lookups": lookups}


def _suiteql_since_start() -> float:
    return sum(
        s.value
        for m in REGISTRY.collect()
        for s in m.samples
        if s.name == "woo_netsuite_request_seconds_count" and s.labels.get("operation") == "suiteql"
    )


def _now_ms() -> int:
    return int(time.time() * 1000)


def _wait(condition: Any, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark phase did not finish")
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="table sizes to restore, comma-separated")
    parser.add_argument("--orders", type=int, default=200, help="returning-customer orders after a restart")
    args = parser.parse_args(argv)
    fields = ConsumerSettings.model_fields
    orders, customers = (fields[f"consumer_memory_{k}_max"].default for k in ("orders", "customers"))
    print(f"| full garbage collection, {orders} orders and {customers} customers remembered | ms | tracked |")
    print("|---|---|---|")
    compared = memory_gc.compare(orders, customers)
    for name, ms, tracked in compared:
        print(f"| {name} | {ms:.1f} | {tracked} |")
    print(f"\n- ours / as before: {compared[1][1] / compared[0][1]:.3f} of the pause\n")
    broker = start_tansu()
    try:
        print("| entries | customer table read, s | one order partition restored, s |")
        print("|---|---|---|")
        for size, customers_s, orders_s in restore_times(
            broker.bootstrap, [int(s) for s in args.sizes.split(",")]
        ):
            print(f"| {size} | {customers_s:.2f} | {orders_s:.2f} |")
        print()
        results = {flag: calls_after_restart(broker.bootstrap, args.orders, flag) for flag in (True, False)}
        print("| after a restart, returning customers | with the memory topics | without |")
        print("|---|---|---|")
        with_, without = results[True]["calls_per_order"], results[False]["calls_per_order"]
        print(f"| NetSuite calls per order | {with_:.2f} | {without:.2f} |")
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
