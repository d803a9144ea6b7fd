"""`/metrics`, `/healthz` and `/readyz` of a consumer member on `METRICS_PORT`.

* **Ready** (`/readyz`, the `woo_consumer_ready` gauge): the member joined the group (its first
  assignment arrived) and is not halted; the body names the halt reasons, so `kubectl describe`
  shows why a member is not ready (credentials, netsuite_outage, dead_letters, forwarding).
* **Live** (`/healthz`): the member's own checks pass (`attach`): its poll loop keeps turning and
  no prober died while its halt is engaged. A failure there cannot heal by waiting: Kubernetes
  restarts the pod; nothing is lost (offsets are committed only for durable outcomes).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from consumer import metrics

_checks: dict[str, Callable[[], object]] = {}


def attach(*, problems: Callable[[], list[str]], halted: Callable[[], dict[str, str]]) -> None:
    """The running member's liveness problems and halt reasons (one member per process)."""
    _checks["problems"], _checks["halted"] = problems, halted


def _live() -> tuple[bool, dict[str, object]]:
    found = _checks.get("problems", list)()
    assert isinstance(found, list)
    return (not found, {"status": "ok" if not found else "unhealthy", "problems": found})


def _ready() -> tuple[bool, dict[str, object]]:
    ready = metrics.READY._value.get() == 1
    return ready, {"ready": ready, "halted": _checks.get("halted", dict)()}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/metrics"):
            self._answer(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif self.path in ("/healthz", "/readyz"):
            ok, body = _live() if self.path == "/healthz" else _ready()
            self._answer(200 if ok else 503, json.dumps(body).encode() + b"\n", "application/json")
        else:
            self._answer(404, b'{"error":"not found"}\n', "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def serve(port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer:  # noqa: S104 - a pod's metrics port
    server = ThreadingHTTPServer((host, port), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health-http", daemon=True).start()
    return server
