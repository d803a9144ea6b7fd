"""The HTTP layer: stdlib ThreadingHTTPServer speaking HTTP/1.1 with keep-alive.

`requests` keeps pooled connections open, so every answer carries a correct length (204 carries
none, as RFC 9110 requires, and clients know it has no body) and a request body is always read in
full. Open connections are tracked so `stop()` can cut idle keep-alive sockets instead of leaving
handler threads blocked on them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

from devstack.netsuite_sim.admin import ADMIN_PREFIX, handle_admin
from devstack.netsuite_sim.app import SimulatorApp
from devstack.netsuite_sim.errors import ERROR_CONTENT_TYPE, error_body
from devstack.netsuite_sim.messages import Request, Response

log = logging.getLogger(__name__)

MAX_BODY = 10 * 1024 * 1024
_EXTERNAL_ID = re.compile(r"eid:[^/?]*")


def loggable(path: str) -> str:
    """Path without query or external ids: `q=email IS ...` and `eid:WOO_GUEST_<email>` are personal."""
    return _EXTERNAL_ID.sub("eid:...", path.partition("?")[0])


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: SimulatorApp) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, SimHandler)

    def track(self, conn: socket.socket, open_: bool) -> None:
        with self._connections_lock:
            if open_:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def close_connections(self) -> None:
        with self._connections_lock:
            conns = list(self._connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NetSuiteSimulator/1.0"
    sys_version = ""
    server: SimServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without NODELAY, Nagle + delayed ACK cost ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)
        self.server.app.counters.add("connections")

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except ValueError as exc:
            self.close_connection = True
            self._write(
                Response(400, error_body(400, "INVALID_CONTENT", str(exc)), content_type=ERROR_CONTENT_TYPE)
            )
            return
        raw_path, _, query_string = self.path.partition("?")
        host = self.headers.get("Host") or f"{self.server.app.config.host}:{self.server.server_port}"
        request = Request(
            method=self.command,
            target=self.path,
            path=unquote(raw_path),
            query=dict(parse_qsl(query_string, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{host}",
        )
        app = self.server.app
        try:
            if request.path.startswith(ADMIN_PREFIX):
                response: Response | None = handle_admin(request, app)
            else:
                response = app.handle_api(request)
        except Exception:
            log.exception("simulator bug while handling %s %s", request.method, loggable(request.path))
            body_ = error_body(500, "UNEXPECTED_ERROR", "An unexpected error occurred.")
            response = Response(500, body_, content_type=ERROR_CONTENT_TYPE)
        if response is None:
            self.close_connection = True  # a simulated timeout: no answer at all
            return
        self._write(response)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            raise ValueError("Invalid Content-Length.")
        return self.rfile.read(length) if length else b""

    def _write(self, response: Response) -> None:
        payload = b"" if response.body is None else json.dumps(response.body).encode("utf-8")
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.status != 204:
                if payload:
                    self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (its read timeout) or we are stopping

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, loggable(self.path), code)

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http: %s", format % args)
