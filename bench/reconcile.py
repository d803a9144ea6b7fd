"""`python -m bench.reconcile`: what a reconcile pass and an audit cost (README "Reconciliation and audit").

For N orders in the WooCommerce simulator, 80 % of them already on the main topic as webhook
deliveries would put them there, run `python -m consumer reconcile --once --since …` as an operator
would (a process: start-up included) and report its wall time and the pass's own time; then the same
backfill again (every version is now known as published: nothing is sent) and a regular pass from the
watermark (nothing changed since). Then `audit` over the N orders against a NetSuite simulator
holding them. Embedded broker (tansu) on this machine; the simulators answer in well under a
millisecond, so the figures are our own cost, not WooCommerce's or NetSuite's latency.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from confluent_kafka import Producer

from common.kafka_settings import KafkaSettings
from consumer.netsuite.external_ids import customer_external_id
from consumer.topics import ensure_topics
from devstack.broker import start_tansu
from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from devstack.woo_sim import WooSimulator
from schemas.order import OrderEvent, WooOrder
from schemas.serde import SingleObjectSerde

PASS = re.compile(r"(\d+) listed, (\d+) published .*; ([\d.]+)s")


def run(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "consumer", *args], env={**os.environ, **env}, capture_output=True, text=True
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr)
    return time.monotonic() - started, done.stdout


def measure(bootstrap: str, n: int) -> None:
    settings = KafkaSettings(kafka_bootstrap_servers=bootstrap, orders_topic=f"bench-{uuid.uuid4().hex[:8]}")
    ensure_topics(settings)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    factory = OrderFactory(seed=n)
    with WooSimulator() as shop, NetSuiteSimulator(SimulatorConfig(concurrency_limit=50)) as netsuite:
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
        serde = SingleObjectSerde()
        for i in range(1, n + 1):
            order = shop.create_order(factory.order(i), deliver=False, at=start + timedelta(seconds=i % 3600))
            if i % 5:  # what the webhooks delivered
                event = OrderEvent(order=WooOrder.model_validate(order), webhook_topic="order.created")
                producer.produce(settings.orders_topic, key=event.key, value=serde.encode(event))
                producer.poll(0)
            _hold_in_netsuite(netsuite, order)
        assert producer.flush(60) == 0
        env = {
            **shop.env(),
            **netsuite.env(),
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "ORDERS_TOPIC": settings.orders_topic,
            "RECONCILE_LAG_S": "0",
        }
        since = (start - timedelta(minutes=1)).isoformat()
        passes = (("backfill", ("--since", since)), ("again", ("--since", since)), ("regular", ()))
        for label, args in passes:
            wall, out = run(env, "reconcile", "--once", *args)
            listed, published, seconds = PASS.search(out).groups()  # type: ignore[union-attr]
            print(f"{n:>6} orders  reconcile {label:<8}: {listed:>6} listed, {published:>5} published, "
                  f"pass {float(seconds):5.1f} s, process {wall:5.1f} s")  # fmt: skip
        wall, out = run(env, "audit", "--since", since)
        print(f"{n:>6} orders  audit: {out.strip().splitlines()[-1][:60]}…, process {wall:5.1f} s")


def _hold_in_netsuite(netsuite: NetSuiteSimulator, order: dict[str, object]) -> None:
    """What the consumer would have written, straight into the simulator's store (the audit reads it)."""
    woo = WooOrder.model_validate(order)
    store = netsuite._app.store
    with store.lock:
        cid = store.find("customer", f"eid:{customer_external_id(woo)}")
        person = {
            "externalId": customer_external_id(woo),
            "isPerson": True,
            "firstName": "A",
            "lastName": "B",
        }
        customer_id = cid["id"] if cid else store.save("customer", person)
        lines = [{"item": {"id": "0"}, "quantity": 1, "amount": float(woo.total)}]
        lines += [{"item": {"id": "0"}, "quantity": 1, "amount": 0.0} for _ in range(_lines(woo) - 1)]
        store.save("salesOrder", {
            "externalId": f"WOO_ORDER_{woo.id}", "entity": {"id": customer_id}, "otherRefNum": woo.number,
            "memo": f"WooCommerce Order #{woo.number}", "tranDate": "2026-12-01", "item": {"items": lines},
        })  # fmt: skip


def _lines(order: WooOrder) -> int:
    from consumer.audit.expected import expected
    from consumer.netsuite.settings import MappingPolicy

    policy = MappingPolicy(shipping_item_id="1", discount_item_id="2", fee_item_id="3", tax_item_id="4")
    return expected(order, policy).lines or 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reconcile", description=__doc__)
    parser.add_argument("--orders", type=int, nargs="+", default=[500, 5000])
    args = parser.parse_args(argv)
    broker = start_tansu()
    try:
        for n in args.orders:
            measure(broker.bootstrap, n)
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
