"""`python -m devstack.woo_sim`: run a simulated shop until SIGTERM/SIGINT.

Its order webhooks deliver to `--deliver-to` (the receiver's root URL: `/webhook/woocommerce/order-created`
and `/order-updated` are appended), signed with WOOCOMMERCE_WEBHOOK_SECRET (a demo value when unset).
The REST key is WOOCOMMERCE_CONSUMER_KEY/SECRET when set, else demo values. Orders are created and
changed through `/__sim/orders` (see `app.py`). The ready line names the URL; secrets are never printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

from devstack.woo_sim import config as cfg
from devstack.woo_sim.config import WebhookConfig, WooSimConfig
from devstack.woo_sim.server import WooSimulator


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m devstack.woo_sim", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8766, help="0 picks a free port")
    p.add_argument("--deliver-to", help="receiver root URL for the order.created/order.updated webhooks")
    p.add_argument("--timezone", default="UTC", help="the site's timezone, e.g. America/New_York or UTC+2")
    p.add_argument("--log-level", default="WARNING")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    env = os.environ
    secret = env.get("WOOCOMMERCE_WEBHOOK_SECRET") or cfg.DEMO_WEBHOOK_SECRET
    hooks: tuple[WebhookConfig, ...] = ()
    if args.deliver_to:
        root = args.deliver_to.rstrip("/") + "/webhook/woocommerce"
        hooks = (
            WebhookConfig(1, "order.created", f"{root}/order-created", secret=secret),
            WebhookConfig(2, "order.updated", f"{root}/order-updated", secret=secret),
        )
    try:
        config = WooSimConfig(
            host=args.host,
            port=args.port,
            timezone=args.timezone,
            consumer_key=env.get("WOOCOMMERCE_CONSUMER_KEY") or cfg.DEMO_CONSUMER_KEY,
            consumer_secret=env.get("WOOCOMMERCE_CONSUMER_SECRET") or cfg.DEMO_CONSUMER_SECRET,
            webhooks=hooks,
        )
        shop = WooSimulator(config).start()
    except (ValueError, OSError) as exc:
        print(f"woo-sim: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    print(f"woo-sim ready url={shop.base_url} timezone={args.timezone} webhooks={len(hooks)}", flush=True)
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        shop.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
