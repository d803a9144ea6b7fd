"""The NetSuite simulator in a process of its own, for benchmarks (`--sim-process`).

In one process with the consumer, the simulator's Python work (HTTP parsing, OAuth verification,
validation, the record store) competes with the consumer's threads for one GIL: every request
then waits for the GIL on both sides, time NetSuite's own servers never take from our process. In
its own process it is where NetSuite is in production: across a socket. Controlled like the
in-process one: `env()` for the consumer's settings, `stats()` (its admin endpoint, not counted as
an API request).
"""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

# Runs in the child: start the simulator, print its environment as one JSON line, serve until stdin closes.
_CHILD = """
import json, sys
from devstack.netsuite_sim import Faults, NetSuiteSimulator, SimulatorConfig
limit, latency_ms = int(sys.argv[1]), float(sys.argv[2])
with NetSuiteSimulator(SimulatorConfig(concurrency_limit=limit, faults=Faults(latency_ms=latency_ms))) as sim:
    print(json.dumps(sim.env()), flush=True)
    sys.stdin.read()
"""


class SimProcess:
    def __init__(self, limit: int, latency_ms: float) -> None:
        self._args = [str(limit), str(latency_ms)]
        self._proc: subprocess.Popen[str] | None = None
        self._env: dict[str, str] = {}
        self._http: http.client.HTTPConnection | None = None
        self._stats_path = ""

    def __enter__(self) -> SimProcess:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _CHILD, *self._args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            self.__exit__(None, None, None)
            raise RuntimeError("the simulator process ended before it was ready")
        self._env = json.loads(line)
        base = urlsplit(self._env["NETSUITE_BASE_URL"])
        self._http = http.client.HTTPConnection(base.netloc, timeout=10)
        self._stats_path = base.path.rstrip("/") + "/__sim/stats"
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._http is not None:
            self._http.close()
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
            self._proc = None

    def env(self) -> dict[str, str]:
        return dict(self._env)

    def stats(self) -> dict[str, Any]:
        """The simulator's counters over one kept-alive connection: http.client, not requests, whose
        per-call overhead (~1.7 ms of CPU) polled every `SAMPLE_S` would take this process's GIL
        from the consumer being measured (0.3 ms this way)."""
        assert self._http is not None, "use SimProcess as a context manager"
        self._http.request("GET", self._stats_path)
        answer = self._http.getresponse()
        body = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"simulator stats: HTTP {answer.status}")
        stats: dict[str, Any] = json.loads(body)
        return stats
