"""bench.consumer's figures for one run: the ratios to NetSuite's ceiling, the steady state, where the
ceiling goes, and the report's table and verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.wakeups import Delays


@dataclass
class Run:
    name: str
    orders: int  # orders the figures below are about (all, or those done within the budget)
    total_orders: int  # orders of the workload
    wall_s: float  # start → last sales order (or → budget end)
    join_s: float  # start → partitions assigned
    requests: int
    throttled: int
    max_in_flight: int
    mean_in_flight: float
    latency_s: float
    limit: int
    calls_new: float  # NetSuite calls per order of a new customer
    calls_returning: float
    lookups_per_order: float = 0.0  # calls that read (item SuiteQL, GETs), per order
    client_latency_s: float = 0.0  # mean NetSuite request time as the client saw it
    cpu_s: float = 0.0  # CPU time of this whole process (consumer + simulator + bench) during the run
    by_operation: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    extrapolated_rate: float | None = None  # full workload, when the run was cut short
    service_s: float = 0.0  # NetSuite's own time per call: how long an admitted request held its slot
    first_write_s: float | None = None  # after the join: the first customer or sales order written
    all_slots_s: float | None = None  # after the join: the first sample with every slot in use
    steady_calls_per_s: float | None = None  # NetSuite calls per second from 10 % to 90 % of them
    held: float = 0.0  # slots our governor had handed out, on average over the samples (ours only)
    steal: float | None = None  # the share of the machine's CPU the hypervisor took during the run
    wakeups: Delays | None = None  # bench.wakeups during the run (`--wakeups`)
    idle_wakeups: Delays | None = None  # the same for two seconds before the member started

    @property
    def busy_s(self) -> float:
        return self.wall_s - self.join_s

    @property
    def rate(self) -> float:
        """Orders/s after the group join (what NetSuite sees)."""
        return self.orders / self.busy_s if self.busy_s > 0 else 0.0

    @property
    def full_rate(self) -> float:
        return self.extrapolated_rate if self.extrapolated_rate is not None else self.rate

    @property
    def calls_per_order(self) -> float:
        return self.requests / self.orders if self.orders else 0.0

    @property
    def ceiling(self) -> float:
        """limit / (calls per order x latency): NetSuite's orders/s with every slot always busy."""
        return self.limit / (self.calls_per_order * self.latency_s) if self.calls_per_order else 0.0

    @property
    def ratio(self) -> float:
        return self.rate / self.ceiling if self.ceiling else 0.0

    @property
    def service_ceiling(self) -> float:
        """limit / (calls per order x NetSuite's measured time per call): the same ceiling, with the
        time a call really holds one of the account's slots (the configured latency plus the
        simulator's own work, ~3-4 ms on this box) instead of the configured latency."""
        if not (self.calls_per_order and self.service_s):
            return 0.0
        return self.limit / (self.calls_per_order * self.service_s)

    @property
    def service_ratio(self) -> float:
        return self.rate / self.service_ceiling if self.service_ceiling else 0.0

    @property
    def steady_ratio(self) -> float | None:
        """NetSuite calls/s in the steady state (`steady_window`) over limit / latency: the same ceiling
        without the start (join → every slot busy) and the end (the last calls, fewer than the limit)."""
        if self.steady_calls_per_s is None:
            return None
        return self.steady_calls_per_s * self.latency_s / self.limit

    @property
    def hold_s(self) -> float:
        """How long one call held a slot of our governor, by Little's law on the slots it kept handed
        out (`held`, sampled over the same time as the calls)."""
        return self.held * self.busy_s / self.requests if self.requests else 0.0

    def losses(self) -> tuple[float, float, float, float] | None:
        """Where the ceiling goes: four factors whose product is `ratio`.

        1. slots handed out / limit: less only while no call waits for a slot (the start, the end);
        2. the request's time at the client / a slot's hold time: the rest is ours between granting
           the slot and sending, and after the answer (the hand-over to a waiting thread: its wake-up
           and the GIL; the pre-send check);
        3. NetSuite's time per call / the request's time at the client: the rest is the request on its
           way and the answer read back (Python HTTP on both sides);
        4. the configured latency / NetSuite's time per call (the simulator's own work)."""
        if not (self.held and self.hold_s and self.client_latency_s and self.service_s and self.limit):
            return None
        return (
            self.held / self.limit,
            self.client_latency_s / self.hold_s,
            self.service_s / self.client_latency_s,
            self.latency_s / self.service_s,
        )

    @property
    def steady_service_ratio(self) -> float | None:
        if self.steady_calls_per_s is None or not self.service_s:
            return None
        return self.steady_calls_per_s * self.service_s / self.limit


def steady_window(counts: list[tuple[float, int]], total: int) -> float | None:
    """Per second, between the first samples at 10 % and at 90 % of `total`, of a growing count
    sampled as (time, count) — the NetSuite calls made. Calls, not records written: a returning
    customer's rewrite is a call that writes no new record."""
    start, end = (next(((t, c) for t, c in counts if c >= share * total), None) for share in (0.1, 0.9))
    if start is None or end is None or end[0] <= start[0]:
        return None
    return (end[1] - start[1]) / (end[0] - start[0])


def table(runs: list[Run]) -> str:
    rows = [
        ("", *[r.name for r in runs]),
        ("orders measured", *[f"{r.orders}/{r.total_orders}" for r in runs]),
        ("wall time, s (incl. group join)", *[f"{r.wall_s:.1f}" for r in runs]),
        ("group join, s", *[f"{r.join_s:.1f}" for r in runs]),
        ("orders/s (after join)", *[f"{r.rate:.2f}" for r in runs]),
        ("first record written after the join, s", *[_seconds(r.first_write_s) for r in runs]),
        ("every slot in use after the join, s", *[_seconds(r.all_slots_s) for r in runs]),
        ("NetSuite calls/order", *[f"{r.calls_per_order:.2f}" for r in runs]),
        ("  new customer", *[f"{r.calls_new:.2f}" for r in runs]),
        ("  returning customer", *[f"{r.calls_returning:.2f}" for r in runs]),
        ("reads per order (lookups, GETs)", *[f"{r.lookups_per_order:.2f}" for r in runs]),
        ("mean request time at the client, ms", *[f"{r.client_latency_s * 1000:.1f}" for r in runs]),
        ("process CPU, % of one core", *[f"{100 * r.cpu_s / r.wall_s:.0f}" for r in runs]),
        ("process CPU per order, ms", *[f"{1000 * r.cpu_s / r.orders:.1f}" for r in runs]),
        ("CPU steal during the run (hypervisor)", *[_share(r.steal) for r in runs]),
        ("429s sent by the simulator", *[str(r.throttled) for r in runs]),
        ("max in flight (simulator)", *[str(r.max_in_flight) for r in runs]),
        ("mean in flight (simulator)", *[f"{r.mean_in_flight:.1f}" for r in runs]),
        ("ceiling: limit/(callsxlatency), orders/s", *[f"{r.ceiling:.2f}" for r in runs]),
        ("ratio to the ceiling", *[f"{r.ratio:.3f}" for r in runs]),
        ("NetSuite's time per call (simulator), ms", *[f"{r.service_s * 1000:.1f}" for r in runs]),
        ("ceiling at that time, orders/s", *[f"{r.service_ceiling:.2f}" for r in runs]),
        ("ratio to the ceiling at that time", *[f"{r.service_ratio:.3f}" for r in runs]),
        ("steady state (10→90 % of the calls): calls/s", *[_rate(r.steady_calls_per_s) for r in runs]),
        ("  ratio to limit/latency", *[_ratio(r.steady_ratio) for r in runs]),
        ("  ratio at NetSuite's time per call", *[_ratio(r.steady_service_ratio) for r in runs]),
    ]
    if any(r.wakeups is not None for r in runs):
        rows.append(("a thread's wake-up delay p50/p90/p99, ms", *[str(r.wakeups or "-") for r in runs]))
        rows.append(("  the same, idle before the run", *[str(r.idle_wakeups or "-") for r in runs]))
    if any(r.extrapolated_rate is not None for r in runs):
        rows.append(
            (
                "full-run orders/s (extrapolated)",
                *[f"{r.full_rate:.2f}" + ("*" if r.extrapolated_rate else "") for r in runs],
            )
        )
        rows.append(
            ("full-run wall, s (extrapolated)", *[f"{r.total_orders / r.full_rate:.0f}" for r in runs])
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["| " + " | ".join(c.ljust(widths[i]) for i, c in enumerate(row)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _share(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def verdict(ours: Run, naive: Run | None) -> list[str]:
    out = [
        f"ours / ceiling: {ours.ratio:.3f} (issue 16: ≥ 0.95) {'met' if ours.ratio >= 0.95 else 'MISSED'}; "
        f"at NetSuite's measured time per call ({ours.service_s * 1000:.1f} ms): {ours.service_ratio:.3f} "
        + ("met" if ours.service_ratio >= 0.95 else "MISSED"),
        f"ours in the steady state (10→90 % of the calls; no start, no end): {_ratio(ours.steady_ratio)} "
        f"of limit/latency, {_ratio(ours.steady_service_ratio)} at NetSuite's measured time per call",
        *losses_line(ours),
        f"ours 429s: {ours.throttled} (target 0) {'met' if ours.throttled == 0 else 'MISSED'}",
        f"ours calls/order new {ours.calls_new:.3f} (≤ 2 besides the one-off item lookups, "
        f"{ours.lookups_per_order:.3f}/order), returning {ours.calls_returning:.3f} (< new): "
        + (
            "met"
            if ours.calls_new - ours.lookups_per_order <= 2.0 + 1e-9 and ours.calls_returning < ours.calls_new
            else "MISSED"
        ),
    ]
    if naive is not None and naive.full_rate > 0:
        out.append(
            f"ours / naive orders/s: {ours.rate / naive.full_rate:.2f}x"
            + (" (naive extrapolated)" if naive.extrapolated_rate else "")
        )
    return out


def losses_line(run: Run) -> list[str]:
    factors = run.losses()
    if factors is None:
        return []
    used, sending, on_netsuite, latency = factors
    return [
        f"where the ceiling goes: slots handed out {used:.3f} of the limit x share of a slot's "
        f"{run.hold_s * 1000:.1f} ms the request was on its way or at NetSuite {sending:.3f} x share of "
        f"that at NetSuite {on_netsuite:.3f} x configured latency / NetSuite's time per call "
        f"{latency:.3f} = {used * sending * on_netsuite * latency:.3f} (ratio {run.ratio:.3f})"
    ]
