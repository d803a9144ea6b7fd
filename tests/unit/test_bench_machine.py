"""bench.machine: the hypervisor's CPU steal between two readings of /proc/stat (format: proc(5))."""

from __future__ import annotations

from pathlib import Path

from bench.machine import CpuTimes, describe, disturbed, mark_disturbed, steal_share

# cpu  user nice system idle iowait irq softirq steal guest guest_nice
HEADER = "cpu  {user} 0 {system} {idle} 0 0 0 {steal} {guest} 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n"


def stat_file(tmp_path: Path, name: str, **ticks: int) -> Path:
    path = tmp_path / name
    path.write_text(HEADER.format(**{"guest": 0, **ticks}), encoding="ascii")
    return path


def test_the_share_is_steal_over_all_cpu_time_between_the_readings(tmp_path: Path) -> None:
    start = CpuTimes.now(stat_file(tmp_path, "a", user=100, system=50, idle=800, steal=50))
    end = CpuTimes.now(stat_file(tmp_path, "b", user=160, system=70, idle=900, steal=70))
    assert start == CpuTimes(total=1000, steal=50)
    assert steal_share(start, end) == 20 / 200
    assert describe(start, end) == "CPU steal 10% (hypervisor)"


def test_guest_time_is_not_counted_twice(tmp_path: Path) -> None:
    """proc(5): guest time is already part of user time."""
    times = CpuTimes.now(stat_file(tmp_path, "a", user=100, system=0, idle=0, steal=0, guest=40))
    assert times == CpuTimes(total=100, steal=0)


def test_unknown_when_the_file_is_missing_or_not_proc_stat(tmp_path: Path) -> None:
    assert CpuTimes.now(tmp_path / "absent") is None
    odd = tmp_path / "odd"
    odd.write_text("intr 1 2 3\n", encoding="ascii")
    assert CpuTimes.now(odd) is None
    assert steal_share(None, CpuTimes(10, 1)) is None
    assert describe(CpuTimes(10, 1), CpuTimes(10, 1)) == "CPU steal unknown"  # no time passed


def test_a_run_is_disturbed_when_any_phase_lost_more_than_the_limit_to_the_hypervisor() -> None:
    assert disturbed([0.03, 0.09]) is None
    assert disturbed([None, None]) is None  # not Linux: unknown, not disturbed
    warning = disturbed([0.08, 0.38, None])
    assert warning is not None
    assert warning.startswith("DISTURBED RUN: the hypervisor took 8% / 38% of the CPU (over 10%)")


def test_a_disturbed_report_ends_with_the_warning_and_a_quiet_one_is_unchanged() -> None:
    report = "## Run\n\n- ratio 0.9\n"
    assert mark_disturbed(report, [0.02]) == report
    marked = mark_disturbed(report, [0.25])
    assert marked.startswith(report)
    assert marked.endswith(
        "- DISTURBED RUN: the hypervisor took 25% of the CPU (over 10%); these figures say "
        "more about the host than about the code - run again when it is quiet\n"
    )
