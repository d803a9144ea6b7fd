"""The HTTP layer of the WooCommerce simulator (stdlib ThreadingHTTPServer, HTTP/1.1, keep-alive),
and `WooSimulator`, the Python handle tests and `make run` use.

The production client must not know it talks to a simulator: only `WOOCOMMERCE_API_URL` differs.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote

from devstack.woo_sim.app import WooApp
from devstack.woo_sim.config import Faults, WooSimConfig
from devstack.woo_sim.messages import Request, Response
from devstack.woo_sim.store import Order

log = logging.getLogger(__name__)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: WooApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"  # what a WordPress host answers with
    sys_version = ""
    server: _Server

    def do_GET(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        raw_path, _, query = self.path.partition("?")
        request = Request(
            method=self.command,
            path=unquote(raw_path),
            query=dict(parse_qsl(query, keep_blank_values=True)),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=f"http://{self.headers.get('Host') or self.server.server_address[0]!s}",
        )
        try:
            response = self.server.app.handle(request)
        except Exception:
            log.exception("simulator bug on %s %s", self.command, raw_path)
            response = Response(
                500, {"code": "internal_server_error", "message": "There has been a critical error."}
            )
        payload = json.dumps(response.body).encode() if response.body is not None else b""
        try:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    do_POST = do_PUT = do_DELETE = do_GET

    def log_message(self, format: str, *args: object) -> None:
        log.debug("http: %s", format % args)


class WooSimulator:
    """`with WooSimulator(config) as shop:` … `shop.create_order(order, deliver=False)` …"""

    def __init__(
        self, config: WooSimConfig | None = None, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.config = config or WooSimConfig()
        self.app = WooApp(self.config, clock)
        self._server: _Server | None = None

    def start(self) -> WooSimulator:
        self._server = _Server((self.config.host, self.config.port), self.app)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        self.app.deliverer.stop()

    def __enter__(self) -> WooSimulator:
        return self if self._server is not None else self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("simulator not started")
        return f"http://{self.config.host}:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """The environment of `reconcile` and `audit` pointing at this shop."""
        return {
            "WOOCOMMERCE_API_URL": self.base_url,
            "WOOCOMMERCE_ALLOW_HTTP": "true",  # plain http: needed only when it listens beyond loopback
            "WOOCOMMERCE_CONSUMER_KEY": self.config.consumer_key,
            "WOOCOMMERCE_CONSUMER_SECRET": self.config.consumer_secret,
        }

    # --- the shop, from Python -----------------------------------------------------------------

    def create_order(self, order: Order, *, deliver: bool = True, at: datetime | None = None) -> Order:
        return self.app.create_order(order, deliver=deliver, at=at)

    def modify_order(
        self, order_id: int, changes: dict[str, Any], *, deliver: bool = True, at: datetime | None = None
    ) -> Order:
        return self.app.modify_order(order_id, changes, deliver=deliver, at=at)

    def refund_order(
        self,
        order_id: int,
        lines: dict[int, int] | None = None,
        *,
        amount: str | None = None,
        reason: str = "",
        deliver: bool = True,
    ) -> dict[str, Any]:
        return self.app.refund_order(order_id, lines, amount=amount, reason=reason, deliver=deliver)

    def set_webhook_status(self, webhook_id: int, status: str) -> None:
        self.app.store.set_webhook_status(webhook_id, status)

    def set_faults(self, faults: Faults) -> None:
        self.app.set_faults(faults)

    def set_consumer_secret(self, secret: str) -> None:
        """The shop's key now has this secret (regenerated in WooCommerce): the old one gets 401."""
        self.app.config = dataclasses.replace(self.app.config, consumer_secret=secret)

    def before_list(self, hook: Callable[[Request], None]) -> None:
        """Run `hook(request)` before each order list is answered (to change orders mid-paging)."""
        self.app.list_hooks.append(hook)

    def wait_deliveries(self, timeout_s: float = 30.0) -> bool:
        return self.app.deliverer.wait_idle(timeout_s)

    def stats(self) -> dict[str, Any]:
        return self.app.stats()
