"""`python -m bench [name ...]` (`make bench`): run every benchmark present, one after the other.

Each runs in its own process (`python -m bench.<name>`, default arguments), so one benchmark's
threads, metrics and signal handlers cannot disturb the next. Names limit the run to those given.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

BENCHMARKS = ("receiver", "consumer", "latency", "memory", "reconcile")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "names", nargs="*", metavar="name",
        help=f"benchmarks to run, in order (default: all of {', '.join(BENCHMARKS)}); "
        "each has its own --help: python -m bench.<name> --help",
    )  # fmt: skip
    wanted = parser.parse_args(argv).names or list(BENCHMARKS)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    failed: list[str] = []
    for name in wanted:
        module = f"bench.{name}"
        if importlib.util.find_spec(module) is None:
            print(f"== {module}: not present, skipped", flush=True)
            continue
        print(f"== {module}", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
