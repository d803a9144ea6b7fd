"""bench.consumer's runs: our member and the naive baseline against a fresh simulator, sampled while
they work."""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from bench.consumer_figures import Run, steady_window
from bench.consumer_workload import Workload, create_topic, produce
from bench.naive_consumer import NaiveConsumer
from bench.sim_process import SimProcess
from bench.wakeups import WakeupProbe, idle_delays
from consumer.member import build_member
from consumer.netsuite.client import REQUEST_SECONDS
from consumer.settings import ConsumerSettings
from consumer.topics import ensure_topics
from devstack.member_thread import MemberThread
from devstack.netsuite_sim import Faults, NetSuiteSimulator, SimulatorConfig

SESSION_TIMEOUT_MS = 6000  # a group join waits about half of it (tansu and Kafka alike)
SAMPLE_S = 0.05
SECONDS = "~seconds_us"


@dataclass
class Sampler:
    """Polls the simulator on a short beat: sales orders written, slots in use, governor window."""

    sim: Sim
    window: Callable[[], int] | None = None
    held: Callable[[], int] | None = None  # slots our governor has handed out
    in_flight: list[int] = field(default_factory=list)
    written: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, records written) per sample
    calls: list[tuple[float, int]] = field(default_factory=list)  # (monotonic, NetSuite requests so far)
    held_samples: list[int] = field(default_factory=list)
    min_window: int | None = None

    def sales_orders(self) -> int:
        stats = self.sim.stats()
        self.in_flight.append(int(stats["in_flight"]))
        records = stats["records"]
        written = int(records.get("customer", 0)) + int(records.get("salesOrder", 0))
        now = time.monotonic()
        self.written.append((now, written))
        self.calls.append((now, int(stats["requests"])))
        if self.held is not None:
            self.held_samples.append(self.held())
        if self.window is not None:
            w = self.window()
            self.min_window = w if self.min_window is None else min(self.min_window, w)
        return int(stats["records"].get("salesOrder", 0))


def request_counts() -> Counter[str]:
    """NetSuite requests this process made so far, by client operation (all statuses), plus the
    total seconds they took under the key `seconds` (in microseconds, to stay an int counter)."""
    out: Counter[str] = Counter()
    for metric in REQUEST_SECONDS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_count"):
                out[sample.labels["operation"]] += int(sample.value)
            elif sample.name.endswith("_sum"):
                out[SECONDS] += int(sample.value * 1e6)
    return out


def service_time(stats: dict[str, Any]) -> float:
    """The simulator's mean time per admitted request (a fresh simulator per run); requests still
    in flight (the member runs on while the stats are read) have added no busy time yet."""
    refused = sum(int(stats[k]) for k in ("throttled", "auth_failures", "outage_rejections"))
    admitted = int(stats["requests"]) - refused - int(stats["in_flight"])
    return float(stats["busy_seconds"]) / admitted if admitted > 0 else 0.0


def split_seconds(ops: Counter[str]) -> tuple[dict[str, int], float]:
    """(counts by operation, mean seconds per request)."""
    counts = {k: v for k, v in sorted(ops.items()) if k != SECONDS}
    total = sum(counts.values())
    return counts, (ops[SECONDS] / 1e6 / total if total else 0.0)


class Sim(Protocol):
    """The simulator as the benchmark uses it, in this process or its own (`bench.sim_process`)."""

    def env(self) -> dict[str, str]: ...
    def stats(self) -> dict[str, Any]: ...


@contextmanager
def simulator(args: argparse.Namespace) -> Iterator[Sim]:
    if args.sim_process:
        with SimProcess(args.limit, args.latency_ms) as remote:
            yield remote
        return
    config = SimulatorConfig(concurrency_limit=args.limit, faults=Faults(latency_ms=args.latency_ms))
    with NetSuiteSimulator(config) as sim:
        yield sim


def run_ours(bootstrap: str, work: Workload, args: argparse.Namespace) -> Run:
    n = len(work.orders)
    prefix = f"bench-ours-{uuid.uuid4().hex[:8]}"
    with simulator(args) as sim:
        values: dict[str, Any] = {
            "kafka_bootstrap_servers": bootstrap,
            "orders_topic": f"{prefix}.orders",
            "consumer_group": f"{prefix}-group",
            "orders_topic_partitions": args.partitions,
            "netsuite_concurrency": args.limit,
            "kafka_session_timeout_ms": SESSION_TIMEOUT_MS,
            "metrics_port": 0,
            **{k.lower(): v for k, v in sim.env().items()},
            "netsuite_payment_records": args.payments,
        }
        settings = ConsumerSettings(**values)
        ensure_topics(settings)
        produce(bootstrap, settings.orders_topic, work.events)
        idle = idle_delays() if args.wakeups else None
        before = request_counts()
        member = build_member(settings)
        sampler = Sampler(sim, lambda: member.governor.window, lambda: member.governor.in_flight)
        running = MemberThread(member, name="bench-member")
        probe: WakeupProbe | None = None  # from the join on, as the ratio is counted
        cpu_started, started = time.process_time(), time.monotonic()
        running.start()
        joined: float | None = None
        deadline = started + args.timeout_s
        try:
            while True:
                if joined is None and member.runner.assigned_event.is_set():
                    joined = time.monotonic()
                    sampler.in_flight.clear()
                    sampler.held_samples.clear()
                    sampler.written.clear()
                    sampler.calls.clear()
                    probe = WakeupProbe().start() if args.wakeups else None
                done = sampler.sales_orders()
                if done >= n:
                    break
                if running.crashed or not running.alive:
                    raise RuntimeError(f"our consumer stopped early: {running.crashed[:1]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"our consumer wrote {done}/{n} sales orders in {args.timeout_s}s")
                time.sleep(SAMPLE_S)
            finished, cpu_s = time.monotonic(), time.process_time() - cpu_started
            stats = sim.stats()
        finally:
            wakeups = probe.stop() if probe is not None else None
            running.stop()
        ops, latency = split_seconds(request_counts() - before)
    new, returning = work.new_and_returning()
    customer_writes = ops["upsert:customer"]
    so_writes = ops["upsert:salesOrder"]
    lookups = sum(v for k, v in ops.items() if not k.startswith("upsert:"))
    # Attribution (the simulator counts requests, not orders): every distinct customer's first order
    # wrote the customer once; customer writes beyond that belong to returning-customer orders.
    # Lookups (item SuiteQL, version GETs) are spread over all orders.
    shared = (so_writes + lookups) / n
    calls_new = 1 + shared if new else 0.0
    calls_ret = (customer_writes - new) / returning + shared if returning else 0.0
    run = Run(
        name="ours",
        orders=n,
        total_orders=n,
        **measured(stats, sampler, args, started=started, joined=joined, finished=finished),
        calls_new=calls_new,
        calls_returning=calls_ret,
        lookups_per_order=lookups / n,
        client_latency_s=latency,
        cpu_s=cpu_s,
        by_operation=ops,
        first_write_s=_first(sampler, joined, lambda written, _: written > 0),
        all_slots_s=_first(sampler, joined, lambda _, in_flight: in_flight >= args.limit),
        steady_calls_per_s=steady_window(sampler.calls, int(stats["requests"])),
        held=statistics.fmean(sampler.held_samples) if sampler.held_samples else 0.0,
        wakeups=wakeups,
        idle_wakeups=idle,
    )
    run.notes.append(
        f"customer upserts {customer_writes} for {work.customers} distinct customers, "
        f"sales-order upserts {so_writes}, lookups {lookups}; governor window min {sampler.min_window}; "
        f"slots held by the governor {run.held:.1f} on average while NetSuite had {run.mean_in_flight:.1f} "
        "requests in flight (the rest: requests on their way, answers being read)"
    )
    return run


def measured(
    stats: dict[str, Any],
    sampler: Sampler,
    args: argparse.Namespace,
    *,
    started: float,
    joined: float | None,
    finished: float,
) -> dict[str, Any]:
    """The fields of a `Run` that ours and the naive one measure alike: the clock, the simulator's
    counts and time per call, the set-up."""
    return {
        "wall_s": finished - started,
        "join_s": (joined or started) - started,
        "requests": int(stats["requests"]),
        "throttled": int(stats["throttled"]),
        "max_in_flight": int(stats["max_in_flight"]),
        "mean_in_flight": statistics.fmean(sampler.in_flight) if sampler.in_flight else 0.0,
        "service_s": service_time(stats),
        "latency_s": args.latency_ms / 1000,
        "limit": args.limit,
    }


def _first(sampler: Sampler, since: float | None, test: Callable[[int, int], bool]) -> float | None:
    """Seconds from `since` to the first sample (records written, in flight) that passes `test`."""
    if since is None:
        return None
    samples = zip(sampler.written, sampler.in_flight, strict=True)
    return next((t - since for (t, written), in_flight in samples if test(written, in_flight)), None)


def run_naive(bootstrap: str, work: Workload, args: argparse.Namespace) -> Run:
    n = len(work.orders)
    prefix = f"bench-naive-{uuid.uuid4().hex[:8]}"
    with simulator(args) as sim:
        from consumer.netsuite.settings import NetSuiteSettings

        values: dict[str, Any] = {k.lower(): v for k, v in sim.env().items()}
        values["netsuite_concurrency"] = args.limit  # sizes the HTTP connection pool only
        settings = NetSuiteSettings(**values)
        topic = f"{prefix}.orders"
        create_topic(bootstrap, topic, args.partitions)
        produce(bootstrap, topic, work.events)
        before = request_counts()
        stop = threading.Event()
        naive = NaiveConsumer(
            {
                "bootstrap.servers": bootstrap,
                "group.id": f"{prefix}-group",
                "session.timeout.ms": SESSION_TIMEOUT_MS,
            },
            topic,
            settings,
            concurrency=args.limit,
            stop=stop,
        )
        sampler = Sampler(sim)
        thread = threading.Thread(target=naive.run, name="bench-naive", daemon=True)
        cpu_started, started = time.process_time(), time.monotonic()
        thread.start()
        joined: float | None = None
        deadline = started + args.timeout_s
        budget_end: float | None = None
        try:
            while True:
                now = time.monotonic()
                if joined is None and naive.assigned.is_set():
                    joined = now
                    sampler.in_flight.clear()
                    if args.naive_budget_s > 0:
                        budget_end = now + args.naive_budget_s
                done = sampler.sales_orders()
                if done >= n or (budget_end is not None and now >= budget_end):
                    break
                if naive.error is not None or not thread.is_alive():
                    raise RuntimeError(f"naive consumer stopped early: {naive.error!r}")
                if now > deadline:
                    raise RuntimeError(f"naive consumer wrote {done}/{n} sales orders in {args.timeout_s}s")
                time.sleep(SAMPLE_S)
            stop.set()  # first stop taking new orders, then count what was finished
            thread.join(60)
            finished, cpu_s = time.monotonic(), time.process_time() - cpu_started
            stats = sim.stats()
        finally:
            stop.set()
            thread.join(60)
        ops, latency = split_seconds(request_counts() - before)
    per_order = naive.stats.snapshot()
    done = len(per_order)
    new_calls = [o.calls for o in per_order if o.new_customer]
    ret_calls = [o.calls for o in per_order if not o.new_customer]
    run = Run(
        name="naive",
        orders=done,
        total_orders=n,
        **measured(stats, sampler, args, started=started, joined=joined, finished=finished),
        calls_new=statistics.fmean(new_calls) if new_calls else 0.0,
        calls_returning=statistics.fmean(ret_calls) if ret_calls else 0.0,
        lookups_per_order=sum(v for k, v in ops.items() if not k.startswith("create:")) / max(1, done),
        client_latency_s=latency,
        cpu_s=cpu_s,
        by_operation=ops,
    )
    if naive.stats.create_conflicts:
        run.notes.append(
            f"{naive.stats.create_conflicts} customer creates lost the check-then-create race "
            "(400 'already exists', read again)"
        )
    if naive.stats.retries:
        run.notes.append(f"{naive.stats.retries} calls retried after a retryable error")
    if done < n:
        # Extrapolate by calls, not orders: the first orders have more new customers (more calls).
        new_all, ret_all = work.new_and_returning()
        calls_all = new_all * run.calls_new + ret_all * run.calls_returning
        calls_per_s = run.requests / run.busy_s
        run.extrapolated_rate = n / (calls_all / calls_per_s)
        run.notes.append(
            f"stopped after {args.naive_budget_s:.0f} s with {done}/{n} orders written; full run "
            f"extrapolated from its {calls_per_s:.1f} calls/s and the full workload's customer mix "
            f"({new_all} new / {ret_all} returning): {n / run.extrapolated_rate:.0f} s, "
            f"{run.extrapolated_rate:.2f} orders/s"
        )
    return run
