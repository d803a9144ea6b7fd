"""The door under abuse, end to end against `python -m receiver` (real gunicorn, two workers):
slow and idle clients, oversized bodies under concurrent load, replayed deliveries.

One receiver process for the module (a short read deadline so the test is quick); every attacking
loop is bounded in count and time and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from devstack.broker import free_port
from receiver.testing import SAMPLE_SECRET, order_body, signed_headers
from tests.conftest import Broker
from tests.kafka_fixture import create_topic

pytestmark = pytest.mark.integration
WORKERS, THREADS = 2, 4  # 8 request threads: 40 slow clients are five times what it has
READ_TIMEOUT_S = 2.0
IDLE_S = 5.0  # gunicorn keepalive (receiver.server): new connections that send nothing are closed then
MARGIN_S = 2.0  # scheduling on a shared 2-core machine
MAX_BODY = 65_536
PATH = "/webhook/woocommerce/order-created"


@dataclass
class Door:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def metric(self, sample: str) -> float:
        for line in requests.get(f"{self.url}/metrics", timeout=10).text.splitlines():
            if line.startswith(sample + " "):
                return float(line.split()[-1])
        return 0.0


@pytest.fixture(scope="module")
def door(broker: Broker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Door]:
    topic = f"t-door-{os.getpid()}-{free_port()}"
    create_topic(broker.bootstrap, topic)
    port, workdir = free_port(), tmp_path_factory.mktemp("door")
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PROMETHEUS", "RECEIVER_", "WOOCOMMERCE"))
        },
        "WOOCOMMERCE_WEBHOOK_SECRET": SAMPLE_SECRET,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": topic,
        "PORT": str(port),
        "RECEIVER_HOST": "127.0.0.1",
        "RECEIVER_WORKERS": str(WORKERS),
        "RECEIVER_THREADS": str(THREADS),
        "RECEIVER_MAX_BODY_BYTES": str(MAX_BODY),
        "RECEIVER_READ_TIMEOUT_S": str(READ_TIMEOUT_S),
    }
    log = workdir / "receiver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "receiver"], cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    door = Door(process, port, log)
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{door.url}/readyz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "receiver did not come up"
        time.sleep(0.05)
    try:
        yield door
    finally:
        process.kill()
        process.wait()


class SlowClients:
    """Connections that send a little and then stall; each one the server closes is opened again,
    so the pressure lasts until `stop()` (a bounded attacker: at most `count` sockets, `seconds`)."""

    def __init__(self, port: int, first_bytes: bytes, count: int, seconds: float) -> None:
        self.port, self.first_bytes, self.count = port, first_bytes, count
        self.until = time.monotonic() + seconds
        self.opened = 0
        self._stop = threading.Event()
        self._socks = [self._open() for _ in range(count)]
        self._thread = threading.Thread(target=self._replace_closed, daemon=True)
        self._thread.start()

    def _open(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(self.first_bytes)
        sock.setblocking(False)
        self.opened += 1
        return sock

    def _replace_closed(self) -> None:
        while not self._stop.is_set() and time.monotonic() < self.until:
            for i, sock in enumerate(self._socks):
                try:
                    sock.recv(4096)  # EOF, or the server's answer (408) before it closes
                except BlockingIOError:
                    continue  # still held open by the server
                except OSError:
                    pass  # reset
                sock.close()
                self._socks[i] = self._open()
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
        for sock in self._socks:
            sock.close()


def timed(call: object) -> tuple[requests.Response, float]:
    started = time.monotonic()
    response = call()  # type: ignore[operator]
    return response, time.monotonic() - started


def test_slow_clients_never_stop_a_signed_webhook_or_healthz_within_the_deadline(door: Door) -> None:
    before = door.metric("woo_receiver_read_timeouts_total")
    body_start = (
        f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f'Content-Length: {MAX_BODY}\r\n\r\n{{"id":'
    ).encode()
    one_byte = SlowClients(door.port, b"P", count=40, seconds=30)
    slow_body = SlowClients(door.port, body_start, count=10, seconds=30)
    try:
        limit = READ_TIMEOUT_S + MARGIN_S
        for n in range(4):  # over twice the deadline, while every cut connection is replaced
            health, waited = timed(lambda: requests.get(f"{door.url}/healthz", timeout=limit + 5))
            assert health.status_code == 200
            assert waited <= limit, f"/healthz took {waited:.2f} s"
            body = order_body(90_000 + n)
            answer, waited = timed(
                lambda body=body: requests.post(
                    f"{door.url}{PATH}", data=body, headers=signed_headers(body), timeout=limit + 5
                )
            )
            assert answer.status_code == 200, answer.text
            assert answer.json() == {"status": "accepted", "order_id": 90_000 + n}
            assert waited <= limit, f"the webhook took {waited:.2f} s"
    finally:
        one_byte.stop()
        slow_body.stop()
    assert one_byte.opened > 40, "the server cut the one-byte clients"
    assert slow_body.opened > 10, "the server cut the slow bodies"
    assert door.metric("woo_receiver_read_timeouts_total") - before >= 50
    assert door.metric('woo_receiver_requests_total{outcome="timeout"}') >= 10  # the slow bodies: 408
    assert door.process.poll() is None
    assert "Traceback" not in door.log.read_text()


def test_a_connection_that_never_sends_a_byte_is_closed(door: Door) -> None:
    socks = [
        socket.create_connection(("127.0.0.1", door.port), timeout=IDLE_S + MARGIN_S + 5) for _ in range(20)
    ]
    started = time.monotonic()
    try:
        for sock in socks:
            assert sock.recv(1) == b""  # EOF from the server, not our timeout
        assert time.monotonic() - started <= IDLE_S + 1 + MARGIN_S
    finally:
        for sock in socks:
            sock.close()
    assert requests.get(f"{door.url}/healthz", timeout=5).status_code == 200


def test_a_replayed_delivery_is_published_at_most_once_per_worker(door: Door) -> None:
    body = order_body(77_001)
    statuses = []
    for _ in range(12):  # fresh connections: the kernel spreads them over both workers
        response = requests.post(f"{door.url}{PATH}", data=body, headers=signed_headers(body), timeout=10)
        assert response.status_code == 200
        statuses.append(response.json()["status"])
    assert 1 <= statuses.count("accepted") <= WORKERS
    assert statuses.count("duplicate") == 12 - statuses.count("accepted")
    assert statuses[0] == "accepted"


def post_like_woocommerce(port: int, body: bytes, headers: dict[str, str]) -> str:
    """WooCommerce's delivery: HTTP/1.0, the whole body written before the answer is read; a failed
    write is a failed delivery (curl: "send failure: connection reset"), whatever the server said."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = f"POST {PATH} HTTP/1.0\r\nHost: x\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode()
    with socket.socket() as sock:
        # A small send buffer: the body is still on its way when the server answers, as over a WAN
        # (on loopback the kernel's buffers would otherwise swallow a 200 KB body at once).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16_384)
        sock.settimeout(20)
        sock.connect(("127.0.0.1", port))
        try:
            sock.sendall(request + body)
        except OSError as exc:
            return f"send failed: {exc.strerror}"
        try:
            return sock.makefile("rb").readline().decode().split()[1]
        except (OSError, IndexError) as exc:
            return f"no answer: {exc}"


def test_oversized_bodies_under_concurrent_load_all_get_their_413(door: Door) -> None:
    """Refused unread, a body turned the close into a reset: the sender's write failed and it never
    read the 413 (WooCommerce would log a reset, not 'too large'). Drained, every sender reads it."""
    body = b'{"id":1,"pad":"' + b"x" * (3 * MAX_BODY) + b'"}'  # within the drained 4 x the limit
    headers = signed_headers(body)
    before = door.metric('woo_receiver_requests_total{outcome="too_large"}')
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: post_like_woocommerce(door.port, body, headers), range(64)))
    assert answers == ["413"] * 64, {a: answers.count(a) for a in set(answers)}
    assert door.metric('woo_receiver_requests_total{outcome="too_large"}') - before == 64
    assert requests.get(f"{door.url}/healthz", timeout=5).status_code == 200


def answer_and_close(port: int, request: bytes, within_s: float) -> tuple[bytes, bool]:
    """Send `request` and read until the server closes: (what it answered, closed within `within_s`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        sock.settimeout(within_s)
        answer, closed = b"", False
        try:
            while chunk := sock.recv(65_536):
                answer += chunk
            closed = True
        except TimeoutError:
            pass
    return answer, closed


def test_a_refused_body_ends_its_connection_at_once(door: Door) -> None:
    """A 413 over four times the limit is answered unread: the connection must end with it, or
    gunicorn keeps it (HTTP/1.1) and reads the refused body to its end before the next request.
    (gunicorn drops an app's `Connection: close`; receiver.worker makes it close.)"""
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {100 * MAX_BODY}\r\n\r\n".encode()
    answer, closed = answer_and_close(door.port, head + b"x" * 1000, within_s=READ_TIMEOUT_S / 2)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"\r\nConnection: close\r\n" in answer, answer[:400]
    assert closed, "the connection stayed open after the 413"


def test_a_body_cut_by_the_deadline_ends_its_connection_with_the_408(door: Door) -> None:
    head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc".encode()
    started = time.monotonic()
    answer, closed = answer_and_close(door.port, head, within_s=READ_TIMEOUT_S + MARGIN_S)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert b"\r\nConnection: close\r\n" in answer, answer[:400]
    assert closed, "the connection stayed open after the 408"
    assert time.monotonic() - started <= READ_TIMEOUT_S + MARGIN_S
