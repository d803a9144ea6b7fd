"""How disturbed the machine was during a benchmark: the hypervisor's CPU steal, next to the load average.

On a shared virtual machine the same code measured minutes apart varied from 0.65 to 0.92 of the
ceiling (bench.consumer, 2026-12-02) while the load average stayed near 1: the host was taking the
vCPUs away (`top`'s `st` column at 30 % and more). The load average does not show that; the
`steal` column of `/proc/stat` does. Each report prints it, so a figure from a disturbed run is
recognisable as one. Linux only; elsewhere the share is unknown (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")
# Above this share a run's figures say more about the host than about the code: on 2026-12-03 the
# consumer's ratio was 0.90 at 3 % steal and 0.62-0.66 at 30 %, the same tree minutes apart.
STEAL_LIMIT = 0.10


@dataclass(frozen=True)
class CpuTimes:
    """The machine's CPU time so far, in clock ticks: all of it, and what the hypervisor stole."""

    total: int
    steal: int

    @classmethod
    def now(cls, path: Path = PROC_STAT) -> CpuTimes | None:
        try:
            first = path.read_text(encoding="ascii").splitlines()[0].split()
        except (OSError, IndexError):
            return None
        if first[0] != "cpu" or len(first) < 9:
            return None
        ticks = [int(v) for v in first[1:]]
        # user nice system idle iowait irq softirq steal [guest guest_nice]: guest time is already
        # counted in user and nice (proc(5)), so only the first eight are summed
        return cls(total=sum(ticks[:8]), steal=ticks[7])


def steal_share(start: CpuTimes | None, end: CpuTimes | None) -> float | None:
    """The share of the machine's CPU time the hypervisor took between the two readings."""
    if start is None or end is None or end.total <= start.total:
        return None
    return (end.steal - start.steal) / (end.total - start.total)


def describe(start: CpuTimes | None, end: CpuTimes | None) -> str:
    share = steal_share(start, end)
    return "CPU steal unknown" if share is None else f"CPU steal {share:.0%} (hypervisor)"


def disturbed(shares: Sequence[float | None]) -> str | None:
    """A warning when the hypervisor took more than `STEAL_LIMIT` of the CPU in any phase of a run
    (one share per phase, in order); None when none did or none is known."""
    known = [share for share in shares if share is not None]
    if not any(share > STEAL_LIMIT for share in known):
        return None
    taken = " / ".join(f"{share:.0%}" for share in known)
    return (
        f"DISTURBED RUN: the hypervisor took {taken} of the CPU (over {STEAL_LIMIT:.0%}); "
        "these figures say more about the host than about the code - run again when it is quiet"
    )


def mark_disturbed(report: str, shares: Sequence[float | None]) -> str:
    """A Markdown `report` with the `disturbed` warning as its last bullet, when there is one."""
    warning = disturbed(shares)
    return report if warning is None else f"{report}- {warning}\n"
