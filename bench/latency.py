"""Latency benchmark: from the receiver's 200 to the sales order in NetSuite, at a steady rate.

    .venv/bin/python -m bench.latency [--rate 50] [--duration 60] [--members 2] [--limit 15]
        [--latency-ms 150] [--returning 0.5] [--guests 0] [--restart-member-at S] [--no-write]

The deployed shape on one machine: an embedded broker, the receiver (`python -m receiver`, its
defaults) and `--members` consumer members (`python -m consumer`, NETSUITE_CONCURRENCY=`--limit`,
defaults otherwise) as processes, the NetSuite simulator (`--latency-ms` per call, account limit
`--limit`) in this process. Signed order webhooks go out open-loop at `--rate` per second; an order's
latency runs from its 200 to the instant the simulator wrote its sales order (one clock). Phases:
`--seed-customers` first orders of registered customers at half the rate (the pool of returning
customers), `--warmup` seconds of the mix, then `--duration` seconds measured (`bench/mix.py`).

Printed: p50/p90/p99/max and the ratio to the floor (two 150 ms calls in sequence for a new
customer), where the time went per stage (`consumer/pipeline/trace.py`, from each member's log line
per order), the slowest order's trace, NetSuite calls per order by customer category, 429s, and the
offered load as a share of NetSuite's capacity (limit ÷ latency calls/s).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from bench.consumer import RESULTS
from bench.machine import CpuTimes, describe, mark_disturbed, steal_share
from bench.mix import CATEGORIES, Mix
from bench.percentiles import pct
from bench.send import Sent, send_all
from bench.stack import SECRET, Stack, WriteClock, broker_delivery, build_stack, scrape
from devstack.netsuite_sim import Faults, NetSuiteSimulator, SimulatorConfig

MARK_START, MARK_END = "<!-- bench.latency:start -->", "<!-- bench.latency:end -->"
STAGES = ("delivery", "queue", "slot", "call", "work")


def run(args: argparse.Namespace) -> dict[str, Any]:
    mix = Mix(args.returning, args.guests)
    measure_n, warmup_n = round(args.rate * args.duration), round(args.rate * args.warmup)
    plan = mix.plan(SECRET, seed=args.seed_customers, warmup=warmup_n, measure=measure_n)
    config = SimulatorConfig(concurrency_limit=args.limit, faults=Faults(latency_ms=args.latency_ms))
    clock = WriteClock()
    with NetSuiteSimulator(config) as sim:
        clock.attach(sim)
        payments = {"NETSUITE_PAYMENT_RECORDS": "on" if args.payments else "off"}
        stack = build_stack(sim, partitions=args.partitions, limit=args.limit, extra_env=payments)
        try:
            return _drive(args, stack, sim, clock, plan)
        except BaseException:
            print(f"logs: {stack.log_dir}", file=sys.stderr)
            raise
        finally:
            stack.stop()


def _drive(
    args: argparse.Namespace, stack: Stack, sim: NetSuiteSimulator, clock: WriteClock, plan: list[Any]
) -> dict[str, Any]:
    broker = broker_delivery(stack.bootstrap)
    stack.start_receiver()
    for n in range(1, args.members + 1):
        stack.start_member(n)
    stack.wait_members_ready(120)
    start = time.monotonic() + 1.0
    schedule, t = [], start
    for planned in plan:
        schedule.append((t, planned))
        t += (2.0 if planned.phase == "seed" else 1.0) / args.rate  # seed orders cost 2 calls each
    measure_from = next(due for due, p in schedule if p.phase == "measure")
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(args, stack, stop, measure_from), daemon=True)
    watcher.start()
    calls_before: Counter[str] | None = None
    throttled_before = 0

    def mark() -> None:
        nonlocal calls_before, throttled_before
        time.sleep(max(0.0, measure_from - time.monotonic()))
        calls_before, throttled_before = clock.snapshot()[1], int(sim.stats()["throttled"])

    marker = threading.Thread(target=mark, daemon=True)
    marker.start()
    try:
        sent = send_all(stack.receiver_port, schedule, threads=args.senders, stop=stop)
    finally:
        stop.set()
    marker.join()
    measured = [s for s in sent if s.planned.phase == "measure" and s.status == 200]
    deadline = time.monotonic() + args.drain_timeout_s
    while time.monotonic() < deadline:
        written = clock.snapshot()[0]
        if all(f"WOO_ORDER_{s.planned.order_id}" in written for s in measured):
            break
        stack.check()
        time.sleep(0.2)
    written, calls_after, _ = clock.snapshot()
    stats = sim.stats()
    metrics = [scrape(port) for _, port in stack.members]
    return {
        "sent": sent,
        "measured": measured,
        "written": written,
        "calls": calls_after - (calls_before or Counter()),
        "throttled": int(stats["throttled"]) - throttled_before,
        "max_in_flight": int(stats["max_in_flight"]),
        "traces": _traces(stack, {s.planned.order_id for s in measured}),
        "commit": _histogram_mean(metrics, "commit"),
        "window_s": sent[-1].due - measure_from if sent else 0.0,
        "broker": broker,
    }


def _watch(args: argparse.Namespace, stack: Stack, stop: threading.Event, measure_from: float) -> None:
    restarted = False
    while not stop.wait(0.5):
        stack.check()
        at = args.restart_member_at
        if at > 0 and not restarted and time.monotonic() >= measure_from + at:
            print(f"restarting member {args.members} …", flush=True)
            stack.restart_member(args.members - 1)
            restarted = True


def _traces(stack: Stack, wanted: set[int]) -> dict[int, dict[str, Any]]:
    """The log line of each measured order's write (the latest, if it was written twice)."""
    out: dict[int, dict[str, Any]] = {}
    for line in stack.member_log_lines():
        order_id = line.get("order_id")
        if order_id in wanted and line.get("outcome") == "written":
            out[order_id] = line
    return out


def _histogram_mean(metrics: list[dict[str, Any]], stage: str) -> float:
    key = (("stage", stage),)
    total = sum(m.get("woo_consumer_stage_seconds_sum", {}).get(key, 0.0) for m in metrics)
    count = sum(m.get("woo_consumer_stage_seconds_count", {}).get(key, 0.0) for m in metrics)
    return total / count if count else float("nan")


def _latencies(r: dict[str, Any]) -> dict[int, float]:
    """Order id → seconds from its 200 to its sales order written in the simulator."""
    written: dict[str, float] = r["written"]
    out = {}
    for s in r["measured"]:
        at = written.get(f"WOO_ORDER_{s.planned.order_id}")
        if at is not None:
            out[s.planned.order_id] = at - s.answered
    return out


def _calls_by_category(r: dict[str, Any]) -> dict[str, tuple[int, float]]:
    """Category → (orders, NetSuite calls per order: its sales order's and its customer's)."""
    calls: Counter[str] = r["calls"]
    groups: dict[str, list[Sent]] = defaultdict(list)
    for s in r["measured"]:
        groups[s.planned.category].append(s)
    out = {}
    for cat, group in groups.items():
        orders = sum(calls[f"WOO_ORDER_{s.planned.order_id}"] for s in group)
        customers = sum(calls[c] for c in {s.planned.customer for s in group})
        out[cat] = (len(group), (orders + customers) / len(group))
    return out


def _stage_rows(traces: dict[int, dict[str, Any]], commit_mean_s: float) -> list[str]:
    rows = ["| stage | p50 | p90 | p99 | mean |", "|---|---|---|---|---|"]
    for stage in STAGES:
        xs = [float(t[f"{stage}_ms"]) for t in traces.values() if f"{stage}_ms" in t]
        if xs:
            cells = [f"{pct(xs, q):.0f}" for q in (0.5, 0.9, 0.99)]
            rows.append(f"| {stage} | {' | '.join(cells)} | {statistics.fmean(xs):.0f} |")
    rows.append(f"| commit (after the write; mean from /metrics) | | | | {commit_mean_s * 1000:.0f} |")
    return rows


def _slowest(r: dict[str, Any], lat: dict[int, float], n: int = 3) -> list[str]:
    category = {s.planned.order_id: s.planned.category for s in r["measured"]}
    out = []
    for order_id in sorted(lat, key=lambda o: lat[o], reverse=True)[:n]:
        t = r["traces"].get(order_id, {})
        stages = ", ".join(f"{k} {t[f'{k}_ms']}" for k in STAGES if f"{k}_ms" in t)
        where = str(t.get("msg", "")).partition("partition=")[2].split(" ")[0] or "?"
        out.append(
            f"- order {order_id} ({category[order_id]}): {lat[order_id]:.2f} s; {stages}; "
            f"calls {t.get('calls', '?')}; member pid {t.get('pid', '?')}, partition {where}"
        )
    return out


def report(args: argparse.Namespace, argv: list[str], r: dict[str, Any], load: str) -> str:
    measured: list[Sent] = r["measured"]
    lat = _latencies(r)
    values = list(lat.values())
    floor = 2 * args.latency_ms / 1000
    p50, p90, p99 = (pct(values, q) for q in (0.5, 0.9, 0.99))
    per_cat = _calls_by_category(r)
    all_calls = sum(r["calls"].values())
    offered = all_calls / (r["window_s"] or args.duration)
    capacity = args.limit / (args.latency_ms / 1000)
    answers = [s.answered - s.sent for s in r["sent"] if s.status == 200]
    late = max((s.late_s for s in r["sent"]), default=0.0)
    met = p99 <= 1.0 and r["throttled"] == 0 and len(lat) == len(measured)
    restart = (
        f"; member {args.members} restarted {args.restart_member_at:g} s into the measurement"
        if args.restart_member_at
        else ""
    )
    cats = ", ".join(f"{c} {per_cat[c][1]:.2f} ({per_cat[c][0]})" for c in CATEGORIES if c in per_cat)
    best = Mix(args.returning, args.guests).calls_per_order
    lines = [
        "## Latency: webhook 200 → sales order in NetSuite, at a steady rate",
        "",
        f"- command: `{' '.join(['.venv/bin/python -m bench.latency', *argv])}`",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; machine: nproc={os.cpu_count()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}; load average {load}",
        f"- set-up: {args.rate:g} orders/s for {args.duration:g} s (after {args.seed_customers} seed orders "
        f"and {args.warmup:g} s warm-up), receiver + {args.members} members as processes, tansu, NetSuite "
        f"simulator {args.latency_ms:g} ms a call, limit {args.limit}, {args.partitions} partitions; mix: "
        f"{args.returning:.0%} returning registered customers (saved addresses), {args.guests:.0%} guests, "
        f"the rest new registered customers{restart}",
        "",
        "| orders | written | p50 s | p90 s | p99 s | max s | p99 / floor | 429s | max in flight |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {len(measured)} | {len(lat)} | {p50:.2f} | {p90:.2f} | {p99:.2f} "
        f"| {max(values, default=float('nan')):.2f} | {p99 / floor:.2f} (floor {floor:.2f} s) "
        f"| {r['throttled']} | {r['max_in_flight']} |",
        "",
        f"- target p99 ≤ 1.0 s, 0 429s, every order written: {'met' if met else 'MISSED'}",
        f"- offered load: {offered:.1f} NetSuite calls/s = {offered / capacity:.2f} of the account's "
        f"capacity ({capacity:.0f} calls/s); calls per order: {cats}; "
        f"all {all_calls / max(1, len(measured)):.2f} (the mix at best: {best:.2f})",
        f"- receiver answers: p50 {pct(answers, 0.5) * 1000:.1f} ms, p99 {pct(answers, 0.99) * 1000:.1f} ms; "
        f"sender at most {late * 1000:.0f} ms late",
        f"- the broker alone (produce → a bare consumer, one record every 20 ms, before the run): "
        f"p50 {pct(r['broker'], 0.5) * 1000:.0f} ms, p99 {pct(r['broker'], 0.99) * 1000:.0f} ms — "
        "the floor of the `delivery` stage on this broker",
        "",
        "Where the time went (ms per order, from each member's log line per order; "
        "`consumer/pipeline/trace.py`):",
        "",
        *_stage_rows(r["traces"], r["commit"]),
        "",
        "Slowest orders (end to end, then the consumer's stages in ms):",
        "",
        *_slowest(r, lat),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--rate", type=float, default=50.0, help="orders per second, steady")
    parser.add_argument("--duration", type=float, default=60.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=15.0, help="unmeasured seconds of the mix first")
    parser.add_argument("--seed-customers", type=int, default=200, help="registered customers' first orders")
    parser.add_argument("--members", type=int, default=2)
    parser.add_argument("--limit", type=int, default=15, help="account concurrency = NETSUITE_CONCURRENCY")
    parser.add_argument("--latency-ms", type=float, default=150.0, help="simulator latency per call")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument(
        "--returning", type=float, default=0.5, help="share of returning registered customers"
    )
    parser.add_argument("--guests", type=float, default=0.0, help="share of guest checkouts")
    parser.add_argument(
        "--restart-member-at",
        type=float,
        default=0.0,
        help="restart the last member this many s into the measurement",
    )
    parser.add_argument("--senders", type=int, default=8, help="sender threads")
    parser.add_argument(
        "--payments", action="store_true", help="book a Customer Deposit per order (one more call each)"
    )
    parser.add_argument("--drain-timeout-s", type=float, default=60.0)
    parser.add_argument("--no-write", action="store_true", help=f"do not update {RESULTS.name}")
    args = parser.parse_args(argv)
    load_start, cpu_start = os.getloadavg()[0], CpuTimes.now()
    print(f"latency: {args.rate:g} orders/s for {args.duration:g} s, {args.members} members …", flush=True)
    result = run(args)
    cpu_end = CpuTimes.now()
    steal = describe(cpu_start, cpu_end)
    load = f"{load_start:.2f} at start, {os.getloadavg()[0]:.2f} at end (1 min); {steal}"
    text = mark_disturbed(report(args, argv, result, load), [steal_share(cpu_start, cpu_end)])
    print()
    print(text)
    if not args.no_write:
        from bench.consumer import write_results

        write_results(text, RESULTS, marks=(MARK_START, MARK_END))
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
