"""Consumer benchmark: our group member vs a naive baseline, against the NetSuite simulator.

`python -m bench.consumer [--orders 3000] [--latency-ms 150] [--limit 15] [--partitions 6] [--quick]`

Per run: a fresh simulator (fixed latency, account concurrency limit), a fresh topic set and group,
the same order events (Avro single-object encoding, key = order id, webhook topic order.created,
as the receiver publishes them), one in-process consumer member with NETSUITE_CONCURRENCY = limit;
the clock stops when every order exists as a sales order in the simulator.

NetSuite's ceiling for a consumer needing `c` calls per order is `limit / (c x latency)` orders/s
(every slot busy all the time); the ratio to that ceiling is the figure of merit, 1.0 is perfect.
The naive baseline (bench/naive_consumer.py: a thread per partition, check-then-create, item lookup
per order) runs on the same orders; when it would take longer than `--naive-budget-s` it is
stopped there and its full-run time is extrapolated from its measured call rate.

Returning customers: `OrderFactory` draws a new name and street for every order, even for a
customer id it has used before, so every repeat order really changes the customer and must rewrite
it. By default a returning customer keeps the billing/shipping profile of their first order here
(the common case in a shop); `--vary-returning-profiles` keeps the factory's data as is.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bench.consumer_figures import Run, table, verdict
from bench.consumer_runs import SESSION_TIMEOUT_MS, run_naive, run_ours
from bench.consumer_workload import Workload, build_workload
from bench.machine import CpuTimes, describe, mark_disturbed, steal_share
from devstack.broker import start_tansu

log = logging.getLogger("bench.consumer")
RESULTS = Path(__file__).with_name("RESULTS.md")
MARK_START, MARK_END = "<!-- bench.consumer:start -->", "<!-- bench.consumer:end -->"


def write_results(text: str, path: Path = RESULTS, marks: tuple[str, str] = (MARK_START, MARK_END)) -> None:
    """Replace one benchmark's section of RESULTS.md (between `marks`), leaving the others alone."""
    start, end = marks
    section = f"{start}\n{text.rstrip()}\n{end}\n"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n\n"
    if start in old and end in old:
        head, rest = old.split(start, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        new = head + section + ("\n" + tail if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + section
    path.write_text(new, encoding="utf-8")


def report(args: argparse.Namespace, argv: list[str], work: Workload, runs: list[Run], load: str) -> str:
    ours = runs[0]
    naive = runs[1] if len(runs) > 1 else None
    new, returning = work.new_and_returning()
    lines = [
        "## Consumer: ours vs the naive baseline",
        "",
        f"- command: `{' '.join(['.venv/bin/python -m bench.consumer', *argv])}`",
        f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}; machine: nproc={os.cpu_count()}, "
        f"Python {platform.python_version()}, {platform.system()} {platform.machine()}; load average {load}",
        f"- workload: {len(work.orders)} orders on {args.partitions} partitions, {work.customers} customers "
        f"({new} new-customer orders, {returning} returning; repeat_customers={args.repeat_customers}, "
        f"returning profiles {'varied (factory as is)' if args.vary_returning_profiles else 'kept'}); "
        f"simulator latency {args.latency_ms:g} ms, concurrency limit {args.limit}; "
        f"our member: NETSUITE_CONCURRENCY={args.limit}, defaults otherwise; session timeout "
        f"{SESSION_TIMEOUT_MS} ms (join ≈ half of it); on loopback, "
        + ("the simulator in its own process" if args.sim_process else "everything in one process"),
        "",
        table(runs),
        "",
        *[f"- {line}" for line in verdict(ours, naive)],
        *[f"- {r.name}: {note}" for r in runs for note in r.notes],
        *[f"- {r.name} calls by operation: {json.dumps(r.by_operation)}" for r in runs],
        "- orders/s are measured from the partitions' assignment to the last sales order; calls/order "
        "= simulator requests ÷ orders. Ours' new/returning split is attributed from upsert counts by "
        "record type (lookups spread evenly); the naive one's is counted per order.",
    ]
    return "\n".join(lines) + "\n"


def with_steal(
    run: Callable[[str, Workload, argparse.Namespace], Run],
    bootstrap: str,
    work: Workload,
    args: argparse.Namespace,
) -> Run:
    """`run`, with the CPU the hypervisor took while it ran (each run's own: a disturbed naive run
    must not mark ours, nor a quiet one hide it)."""
    before = CpuTimes.now()
    result = run(bootstrap, work, args)
    result.steal = steal_share(before, CpuTimes.now())
    return result


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.consumer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--latency-ms", type=float, default=150.0, help="simulator latency per request")
    parser.add_argument("--limit", type=int, default=15, help="account concurrency = NETSUITE_CONCURRENCY")
    parser.add_argument("--partitions", type=int, default=6)
    parser.add_argument("--repeat-customers", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--payments", action="store_true", help="book a Customer Deposit per order (one more call each)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 300 orders (ramp-up weighs on the ratio)"
    )
    parser.add_argument(
        "--naive-budget-s", type=float, default=120.0, help="stop the naive run after this long (0 = never)"
    )
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument(
        "--sim-process",
        action="store_true",
        help="the simulator in a process of its own (off the consumer's GIL, as NetSuite is)",
    )
    parser.add_argument(
        "--wakeups",
        action="store_true",
        help="probe how late a thread wakes up during our run (the wait for the GIL; bench/wakeups.py)",
    )
    parser.add_argument("--vary-returning-profiles", action="store_true", help="factory data as is")
    parser.add_argument("--timeout-s", type=float, default=900.0, help="give up on a run after this long")
    parser.add_argument("--no-write", action="store_true", help=f"do not update {RESULTS.name}")
    args = parser.parse_args(argv)
    if args.quick:
        args.orders = min(args.orders, 300)
    if args.orders < 1 or args.partitions < 1 or args.limit < 1 or args.latency_ms <= 0:
        parser.error("--orders, --partitions, --limit and --latency-ms must be positive")
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    load_start, cpu_start = os.getloadavg(), CpuTimes.now()
    work = build_workload(
        args.orders,
        seed=args.seed,
        repeat_customers=args.repeat_customers,
        vary_profiles=args.vary_returning_profiles,
    )
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if bootstrap else start_tansu()
    try:
        bootstrap = bootstrap or (broker.bootstrap if broker else "")
        print(f"ours: {args.orders} orders …", flush=True)
        runs = [with_steal(run_ours, bootstrap, work, args)]
        print(f"ours: {runs[0].wall_s:.1f} s, {runs[0].rate:.2f} orders/s", flush=True)
        if not args.skip_naive:
            print("naive baseline …", flush=True)
            runs.append(with_steal(run_naive, bootstrap, work, args))
    finally:
        if broker is not None:
            broker.stop()
    load_end = os.getloadavg()
    cpu_end = CpuTimes.now()
    load = f"{load_start[0]:.2f} at start, {load_end[0]:.2f} at end (1 min); {describe(cpu_start, cpu_end)}"
    text = mark_disturbed(report(args, argv, work, runs, load), [r.steal for r in runs])
    print()
    print(text)
    if not args.no_write:
        write_results(text)
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
