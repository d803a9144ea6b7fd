"""`python -m devstack.netsuite_sim`: run the simulator until SIGTERM/SIGINT.

Credentials come from the same NETSUITE_* variables the consumer reads (demo values when unset),
so one environment serves both. The single ready line names the URL and the item ids to put in
NETSUITE_SHIPPING_ITEM_ID and friends; secrets are never printed.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from devstack.netsuite_sim import config as cfg
from devstack.netsuite_sim.config import Faults, SimulatorConfig
from devstack.netsuite_sim.simulator import NetSuiteSimulator


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m devstack.netsuite_sim", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--items", help="JSON seed file of items (default: the shipped items.json)")
    p.add_argument("--concurrency-limit", type=int, default=5, help="the account's limit (default 5)")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--latency-jitter-ms", type=float, default=0.0, help="plus uniform [0, jitter)")
    p.add_argument("--latency-sigma", type=float, default=0.0, help="lognormal spread of latency-ms")
    p.add_argument("--error-rate", type=float, default=0.0, help="503 UNEXPECTED_ERROR share")
    p.add_argument("--throttle-rate", type=float, default=0.0, help="injected 429 share")
    p.add_argument("--timeout-rate", type=float, default=0.0, help="requests held --hang-s then dropped")
    p.add_argument("--hang-s", type=float, default=65.0)
    p.add_argument("--fail-after-commit-rate", type=float, default=0.0, help="writes committed, then 503")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-prefer-transient", action="store_true", help="accept SuiteQL without Prefer")
    p.add_argument("--log-level", default="WARNING")
    return p.parse_args(argv)


def build_config(args: argparse.Namespace) -> SimulatorConfig:
    env = os.environ
    faults = Faults(
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        latency_sigma=args.latency_sigma,
        error_rate=args.error_rate,
        throttle_rate=args.throttle_rate,
        timeout_rate=args.timeout_rate,
        hang_s=args.hang_s,
        fail_after_commit_rate=args.fail_after_commit_rate,
    )
    return SimulatorConfig(
        account_id=env.get("NETSUITE_ACCOUNT_ID") or cfg.DEMO_ACCOUNT_ID,
        consumer_key=env.get("NETSUITE_CONSUMER_KEY") or cfg.DEMO_CONSUMER_KEY,
        consumer_secret=env.get("NETSUITE_CONSUMER_SECRET") or cfg.DEMO_CONSUMER_SECRET,
        token_id=env.get("NETSUITE_TOKEN_ID") or cfg.DEMO_TOKEN_ID,
        token_secret=env.get("NETSUITE_TOKEN_SECRET") or cfg.DEMO_TOKEN_SECRET,
        concurrency_limit=args.concurrency_limit,
        faults=faults,
        items=args.items,
        seed=args.seed,
        require_prefer_transient=not args.no_prefer_transient,
        host=args.host,
        port=args.port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        config = build_config(args)
    except ValueError as exc:
        print(f"netsuite-sim: {exc}", file=sys.stderr)
        return 2
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sim = NetSuiteSimulator(config).start()
    try:
        items = " ".join(f"{k}={v}" for k, v in sim.special_item_ids().items())
        print(
            f"netsuite-sim ready url={sim.base_url} account={config.account_id} "
            f"concurrency_limit={config.concurrency_limit} {items}",
            flush=True,
        )
        while not stopping.wait(0.5):
            pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
