"""Is this tree's consumer throughput below an older tree's, on this machine, today?

`python -m bench.trees REV [--pairs 4] [-- bench.consumer arguments]`

On a shared VM the same tree measures 0.92 and 0.70 of NetSuite's ceiling minutes apart (the
hypervisor's CPU steal), so a figure from another day is no baseline. This checks REV out as a git
worktree and alternates `python -m bench.consumer --skip-naive --no-write` runs of REV and of this
tree — each run with its own tree's benchmark code, whose ratio (orders after the join over
`limit / (calls per order x latency)`) has kept its definition since the first one (90541b4) — and reads
the steal around each run from /proc/stat. Alternating spreads the steal over both; a straight line
through each tree's (steal, ratio) points (least squares) then gives its ratio at 0 % steal, with the
standard error of that intercept, so two trees compare at the same (no) disturbance. Each pair
swaps which tree runs first (REV, this, this, REV, ...), so a drift within a pair favours neither.

The older tree runs on this tree's installed dependencies (its own packages and modules come first on
the path: it runs with its worktree as the working directory). The steal is read around the whole
benchmark process, its broker's start included.
"""

from __future__ import annotations

import argparse
import math
import re
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.machine import CpuTimes, steal_share

ROOT = Path(__file__).resolve().parent.parent
STOP_S = 60  # for an interrupted benchmark to stop its member and its broker
RATIO_ROW = re.compile(r"^\|\s*ratio to the ceiling\s*\|\s*([0-9.]+)\s*\|", re.MULTILINE)


@dataclass(frozen=True)
class Point:
    tree: str
    steal: float | None  # share of the CPU the hypervisor took during the run; None when unknown
    ratio: float


@dataclass(frozen=True)
class Fit:
    """A tree's ratio at 0 % steal (the intercept), its standard error, and the change per point of steal."""

    runs: int
    at_zero: float
    error: float
    per_point: float


def ratio_of(report: str) -> float:
    """Our consumer's ratio to the ceiling, from a bench.consumer report (its table's first column)."""
    found = RATIO_ROW.search(report)
    if found is None:
        raise ValueError("no 'ratio to the ceiling' row in the report")
    return float(found.group(1))


def fit(points: Sequence[Point]) -> Fit | None:
    """Least squares of ratio on steal over the points whose steal is known; None below 3 such
    points or when they all had the same steal (no line to draw)."""
    known = [(p.steal * 100, p.ratio) for p in points if p.steal is not None]
    if len(known) < 3 or len({x for x, _ in known}) < 2:
        return None
    xs, ys = [x for x, _ in known], [y for _, y in known]
    slope, intercept = statistics.linear_regression(xs, ys)
    n, mean_x = len(known), statistics.fmean(xs)
    residual = sum((y - intercept - slope * x) ** 2 for x, y in known) / (n - 2)
    spread = sum((x - mean_x) ** 2 for x in xs)
    error = math.sqrt(residual * (1 / n + mean_x**2 / spread))
    return Fit(runs=n, at_zero=intercept, error=error, per_point=slope)


def report(points: Sequence[Point], trees: Sequence[str]) -> str:
    """Every run in order, then each tree's line (`fit`), as Markdown."""
    lines = ["| run | tree | CPU steal | ratio to the ceiling |", "|---|---|---|---|"]
    for i, p in enumerate(points, 1):
        steal = "?" if p.steal is None else f"{p.steal:.0%}"
        lines.append(f"| {i} | {p.tree} | {steal} | {p.ratio:.3f} |")
    lines.append("")
    for tree in trees:
        f = fit([p for p in points if p.tree == tree])
        if f is None:
            lines.append(f"- {tree}: too few runs with different steal for a line")
        else:
            lines.append(
                f"- {tree}: {f.at_zero:.3f} ± {f.error:.3f} at 0 % steal ({f.runs} runs; "
                f"{f.per_point * 10:+.3f} per 10 points of steal)"
            )
    return "\n".join(lines)


@contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """REV checked out in a temporary git worktree, removed afterwards — after Ctrl-C or a SIGTERM (a
    job's timeout) too: the signal ends the run as an exception, and `git worktree prune` forgets a
    worktree whose directory is gone, however it went."""

    def on_sigterm(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    with tempfile.TemporaryDirectory(prefix="bench-trees-") as tmp:
        path = Path(tmp) / "tree"
        try:
            subprocess.run(["git", "worktree", "add", "--detach", str(path), rev], cwd=ROOT, check=True)
            yield path
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)
            subprocess.run(["git", "worktree", "prune"], cwd=ROOT, check=False)
            signal.signal(signal.SIGTERM, previous)


def run_once(tree: Path, extra: Sequence[str]) -> tuple[float | None, float]:
    """One bench.consumer run (our member only) from `tree`: (steal during it, ratio). Stopped early
    (Ctrl-C, SIGTERM), the benchmark gets a Ctrl-C of its own and time to stop its broker."""
    before = CpuTimes.now()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.consumer", "--skip-naive", "--no-write", *extra],
        cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        out, err = child.communicate()
    except BaseException as exc:
        stop(child, already_told=isinstance(exc, KeyboardInterrupt))
        raise
    if child.returncode != 0:
        raise RuntimeError(f"bench.consumer failed in {tree}:\n{out[-2000:]}{err[-2000:]}")
    return steal_share(before, CpuTimes.now()), ratio_of(out)


def stop(child: subprocess.Popen[str], *, already_told: bool) -> None:
    """Let an interrupted benchmark stop its member and broker. A Ctrl-C in a terminal reached it with
    us (one process group), and a second one could cut its clean-up short: it gets a moment first."""
    if already_told and exited(child, 2.0):
        return
    child.send_signal(signal.SIGINT)
    if not exited(child, STOP_S):
        child.kill()


def exited(child: subprocess.Popen[str], seconds: float) -> bool:
    try:
        child.wait(seconds)
    except subprocess.TimeoutExpired:
        return False
    return True


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """(options, bench.consumer's arguments): everything after the first `--` goes to the benchmark
    as it is (argparse alone would take it for positionals, and drop every `--`)."""
    argv = list(argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(
        prog="python -m bench.trees",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rev", help="the older tree: a commit, tag or branch")
    parser.add_argument("--pairs", type=int, default=4, help="runs of each tree, alternated (default 4)")
    args = parser.parse_args(argv[:cut])
    if args.pairs < 3:
        parser.error("--pairs must be at least 3 (a line through each tree's runs needs three)")
    return args, argv[cut + 1 :]


def main(argv: list[str] | None = None) -> int:
    args, extra = parse(sys.argv[1:] if argv is None else argv)
    points: list[Point] = []
    with worktree(args.rev) as older:
        trees = [(args.rev, older), ("this tree", ROOT)]
        for i in range(args.pairs):
            for name, path in trees if i % 2 == 0 else trees[::-1]:
                steal, ratio = run_once(path, extra)
                points.append(Point(name, steal, ratio))
                shown = "?" if steal is None else f"{steal:.0%}"
                print(f"pair {i + 1}/{args.pairs}: {name} {ratio:.3f} (CPU steal {shown})", flush=True)
    print(report(points, [args.rev, "this tree"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
