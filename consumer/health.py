"""`/metrics`, `/healthz` and `/readyz` of a consumer member on `METRICS_PORT`.

Ready means: in the group and NetSuite accepts our credentials (the `woo_consumer_ready` gauge),
so Kubernetes shows a halted member as not-ready while it waits for fixed credentials.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from consumer import metrics


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/metrics"):
            self._answer(200, generate_latest(REGISTRY), CONTENT_TYPE_LATEST)
        elif self.path == "/healthz":
            self._answer(200, b'{"status":"ok"}\n', "application/json")
        elif self.path == "/readyz":
            ready = metrics.READY._value.get() == 1
            status = 200 if ready else 503
            self._answer(status, b'{"ready":%s}\n' % (b"true" if ready else b"false"), "application/json")
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
