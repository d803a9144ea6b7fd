"""`make run`: broker, NetSuite and WooCommerce simulators, receiver, consumer and reconcile, with demo
orders and a progress line.

Everything runs on loopback with demo credentials. Demo orders are placed in the WooCommerce
simulator, which delivers their webhooks to the receiver — except every 10th, whose webhook it never
sends (as a real shop loses some): `reconcile`, polling every few seconds, recovers those, and the
progress line counts them. The NetSuite simulator adds some latency, a few 503s and 429s, and every
25th demo order names an unknown SKU, so retries and dead letters show up too. After the sale, now and
then a line of a recent order is refunded (a credit memo) or an order cancelled (its sales order
closed), as a shop's staff would. Ctrl-C (or SIGTERM)
stops every child process in order; logs are in `.run/`.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from devstack.broker import free_ports, start_tansu, wait_for_port
from devstack.demo_orders import TAX_RATE_ID, OrderFactory
from devstack.netsuite_sim.config import DEFAULT_ITEMS_FILE, SimulatorConfig, load_items
from devstack.netsuite_sim.simulator import DEMO_BANK_ACCOUNT_ID, SPECIAL_ITEMS
from devstack.processes import Children
from devstack.progress import Ports, Progress, show
from devstack.woo_sim.config import DEMO_CONSUMER_KEY, DEMO_CONSUMER_SECRET, DEMO_WEBHOOK_SECRET

SECRET = DEMO_WEBHOOK_SECRET
SKIP_WEBHOOK_EVERY = 10  # every 10th demo order: WooCommerce never sends its webhook
REFUND_EVERY, CANCEL_EVERY = 10, 20  # the lifecycle: a line refunded, an order cancelled, a few later


def special_item_env() -> dict[str, str]:
    """NETSUITE_SHIPPING/DISCOUNT/FEE/TAX_ITEM_ID for the items the simulator is seeded with."""
    ids = {str(i["itemId"]): str(i["id"]) for i in load_items(None)}
    return {var: ids[name] for name, var in SPECIAL_ITEMS.items() if name in ids}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make run", description=__doc__)
    parser.add_argument("--rate", type=float, default=5.0, help="demo orders per second")
    parser.add_argument(
        "--orders", type=int, default=0, help="stop after this many orders (0 = until Ctrl-C)"
    )
    args = parser.parse_args(argv)

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGHUP: the terminal was closed
        signal.signal(sig, lambda *_: stop.set())
    run_dir = Path(".run")
    for old in run_dir.glob("*.log"):  # each run's logs start fresh
        old.unlink()
    children = Children(run_dir)
    broker = None
    try:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            broker = start_tansu(log_path=run_dir / "broker.log")
            bootstrap = broker.bootstrap
        sim_port, receiver_port, metrics_port, shop_port, reconcile_port = free_ports(5)
        sim = SimulatorConfig()
        env = {
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
            "KAFKA_SESSION_TIMEOUT_MS": "6000",
            "RETRY_DELAYS_SECONDS": "2,5,10",
            "WOOCOMMERCE_WEBHOOK_SECRET": SECRET,
            "PORT": str(receiver_port),
            "METRICS_PORT": str(metrics_port),
            # the demo uses a public demo secret: nothing it starts listens beyond this machine
            "RECEIVER_HOST": "127.0.0.1",
            "METRICS_HOST": "127.0.0.1",
            "NETSUITE_ACCOUNT_ID": sim.account_id,
            "NETSUITE_CONSUMER_KEY": sim.consumer_key,
            "NETSUITE_CONSUMER_SECRET": sim.consumer_secret,
            "NETSUITE_TOKEN_ID": sim.token_id,
            "NETSUITE_TOKEN_SECRET": sim.token_secret,
            "NETSUITE_BASE_URL": f"http://127.0.0.1:{sim_port}",
            "NETSUITE_CONCURRENCY": "5",
            # suitetax (the default mode) against the simulator's SuiteTax engine: the demo's German
            # VAT rate books under the simulator's DE-VAT-19 code
            "NETSUITE_TAX_CODE_MAP": json.dumps({str(TAX_RATE_ID): "11", "default": "11"}),
            **special_item_env(),
            "NETSUITE_REFUND_ACCOUNT_ID": DEMO_BANK_ACCOUNT_ID,
            "WOOCOMMERCE_API_URL": f"http://127.0.0.1:{shop_port}",
            "WOOCOMMERCE_CONSUMER_KEY": DEMO_CONSUMER_KEY,
            "WOOCOMMERCE_CONSUMER_SECRET": DEMO_CONSUMER_SECRET,
            "RECEIVER_PUBLIC_URL": f"http://127.0.0.1:{receiver_port}",
        }
        print(f"broker     {bootstrap}{' (embedded tansu)' if broker else ''}")
        with (run_dir / "topics.log").open("wb") as log:
            created = subprocess.run(
                [sys.executable, "-m", "consumer", "topics"],
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=60,
                check=False,
            )
        if created.returncode != 0:
            raise RuntimeError("topic creation failed; see .run/topics.log")
        children.start(
            "netsuite-sim",
            [
                "-m",
                "devstack.netsuite_sim",
                "--port",
                str(sim_port),
                "--items",
                str(DEFAULT_ITEMS_FILE),
                "--latency-ms",
                "40",
                "--error-rate",
                "0.03",
                "--throttle-rate",
                "0.02",
            ],
            env,
        )
        wait_for_port("127.0.0.1", sim_port, 20)
        print(f"netsuite   http://127.0.0.1:{sim_port} (simulator: 40 ms latency, 3% 503s, 2% 429s)")
        children.start("receiver", ["-m", "receiver"], env)
        wait_for_port("127.0.0.1", receiver_port, 30)
        print(f"receiver   http://127.0.0.1:{receiver_port}/webhook/woocommerce/order-created")
        children.start("consumer", ["-m", "consumer"], env)
        wait_for_port("127.0.0.1", metrics_port, 30)
        print(f"consumer   metrics http://127.0.0.1:{metrics_port}/metrics   logs in .run/")
        shop_args = ["-m", "devstack.woo_sim", "--port", str(shop_port)]
        children.start("woo-sim", [*shop_args, "--deliver-to", f"http://127.0.0.1:{receiver_port}"], env)
        wait_for_port("127.0.0.1", shop_port, 20)
        print(
            f"shop       http://127.0.0.1:{shop_port} (WooCommerce simulator: every 10th webhook never sent)"
        )
        timing = {"RECONCILE_INTERVAL_S": "2", "RECONCILE_LAG_S": "2", "RECONCILE_OVERLAP_S": "60"}
        children.start(
            "reconcile",
            ["-m", "consumer", "reconcile"],
            {**env, **timing, "METRICS_PORT": str(reconcile_port)},
        )
        wait_for_port("127.0.0.1", reconcile_port, 30)
        print(f"reconcile  metrics http://127.0.0.1:{reconcile_port}/metrics (a pass every 2 s)")
        ports = Ports(receiver_port, metrics_port, reconcile_port)
        sent, failed, after = drive(args, stop, children, shop_port, ports)
        summary(sent, failed, after, Progress.read(ports), env, bool(broker))
    except RuntimeError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    finally:
        print("\nstopping…")
        children.stop_all()
        if broker:
            broker.stop()
    return 0


@dataclass
class After:
    """What the demo did to orders after the sale."""

    refunds: int = 0
    cancellations: int = 0


def drive(
    args: argparse.Namespace, stop: threading.Event, children: Children, shop_port: int, ports: Ports
) -> tuple[int, int, After]:
    """Place demo orders in the shop until `--orders` or Ctrl-C; returns (placed, refused by the shop,
    what happened after the sale)."""
    factory = OrderFactory(seed=int(time.time()))
    session = requests.Session()
    url = f"http://127.0.0.1:{shop_port}/__sim/orders"
    interval = 1.0 / args.rate
    next_at = time.monotonic()
    sent = failed = 0
    placed: collections.deque[dict[str, Any]] = collections.deque(maxlen=5)  # recent orders, for later events
    after = After()
    for order_id in itertools.count(int(time.time()) % 100000 * 100 + 1):
        if stop.is_set() or (args.orders and sent >= args.orders):
            break
        children.check()
        poison = sent % 25 == 24
        order = factory.order(order_id, sku_override="NO-SUCH-SKU" if poison else None)
        deliver = sent % SKIP_WEBHOOK_EVERY != SKIP_WEBHOOK_EVERY - 1
        try:
            ok = session.post(url, json={"order": order, "deliver": deliver}, timeout=15).status_code == 201
        except requests.RequestException:
            ok = False
        with contextlib.suppress(requests.RequestException):  # one the shop did not take: not counted
            later(session, url, sent, placed, after)
        if ok and deliver and not poison:
            placed.append(order)
        sent, failed = sent + 1, failed + (not ok)
        if sent % max(1, int(args.rate)) == 0:
            show(sent, failed, Progress.read(ports))
        next_at += interval
        stop.wait(max(0.0, next_at - time.monotonic()))
    deadline = time.monotonic() + 60
    while args.orders and not stop.is_set() and time.monotonic() < deadline:  # let the last orders land
        now = Progress.read(ports)
        landed = now.written + now.dead_lettered >= sent - failed
        if landed and now.refunds >= after.refunds and now.cancelled >= after.cancellations:
            break
        show(sent, failed, now)
        stop.wait(0.5)
    show(sent, failed, Progress.read(ports))
    return sent, failed, after


def later(
    session: requests.Session, url: str, sent: int, placed: collections.deque[dict[str, Any]], after: After
) -> None:
    """What happens to orders after the sale, now and then: a line refunded, an order cancelled."""
    if len(placed) < (placed.maxlen or 0):  # events a few orders after the sale
        return
    if sent % REFUND_EVERY == REFUND_EVERY // 2:
        order = placed.popleft()
        line = order["line_items"][0]
        body = {"lines": {str(line["id"]): 1}, "reason": "demo: damaged in transit"}
        after.refunds += session.post(f"{url}/{order['id']}/refunds", json=body, timeout=15).ok
    elif sent % CANCEL_EVERY == CANCEL_EVERY - 3:
        order = placed.popleft()
        changes = {"changes": {"status": "cancelled"}}
        after.cancellations += session.post(f"{url}/{order['id']}", json=changes, timeout=15).ok


def summary(sent: int, failed: int, after: After, p: Progress, env: dict[str, str], embedded: bool) -> None:
    """The closing paragraph: what happened, and the dead letters with the command that redrives them
    (listed now: the embedded broker keeps them in memory only, so they are gone once it stops)."""
    print(
        f"\n\n{sent} demo orders placed in WooCommerce"
        + (f" ({failed} refused)" if failed else "")
        + f", {p.published:.0f} delivered by webhook, {p.recovered:.0f} whose webhook never came "
        "recovered by reconcile"
        + f", {p.written:.0f} written to NetSuite, {p.dead_lettered:.0f} dead-lettered"
        + (f", {p.retrying:.0f} still waiting in the retry topics" if p.retrying else "")
        + f". After the sale: {after.refunds} refunds ({p.refunds:.0f} booked in NetSuite), "
        f"{after.cancellations} cancellations ({p.cancelled:.0f} applied)."
    )
    if not p.dead_lettered:
        return
    listing = subprocess.run(
        [sys.executable, "-m", "consumer", "redrive", "--list"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    print(listing.stdout.rstrip() or listing.stderr.rstrip())
    where = " (while the embedded broker runs)" if embedded else ""
    print(
        f"Inspect them with `python -m consumer redrive --list`{where}; once the cause is fixed (here: "
        "add the item to NetSuite), send them back with `python -m consumer redrive --all` — "
        'deploy/README.md, "The dead-letter topic is growing".'
    )


if __name__ == "__main__":
    sys.exit(main())
