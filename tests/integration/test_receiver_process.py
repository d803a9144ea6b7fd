"""`python -m receiver` as a real gunicorn process: serves, counts across workers, exits 0 on SIGTERM."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from devstack.broker import free_port
from receiver.testing import SAMPLE_SECRET, order_body, signed_headers
from tests.conftest import Broker
from tests.kafka_fixture import create_topic

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
WORKERS = 2


class Receiver:
    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def lines(self) -> list[dict[str, object]]:
        out = []
        for line in self.log.read_text().splitlines():
            if line.startswith("{"):
                out.append(json.loads(line))
        return out


@pytest.fixture
def receiver(broker: Broker, unique_name: str, tmp_path: Path) -> Iterator[Receiver]:
    create_topic(broker.bootstrap, unique_name)
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PROMETHEUS", "prometheus"))},
        "WOOCOMMERCE_WEBHOOK_SECRET": SAMPLE_SECRET,
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": unique_name,
        "PORT": str(port),
        "RECEIVER_HOST": "127.0.0.1",
        "RECEIVER_WORKERS": str(WORKERS),
        "RECEIVER_THREADS": "4",
        "RECEIVER_MAX_BODY_BYTES": "65536",
    }
    log = tmp_path / "receiver.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "receiver"], cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    rec = Receiver(process, port, log)
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{rec.url}/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "receiver did not come up"
        time.sleep(0.05)
    try:
        yield rec
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def chunked_post(port: int, body: bytes, headers: dict[str, str]) -> int:
    """A raw HTTP/1.1 chunked POST (requests would send Content-Length); returns the status."""
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST /webhook/woocommerce/order-created HTTP/1.1\r\nHost: x\r\n{head}"
        "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    ).encode()
    for start in range(0, len(body), 8192):
        part = body[start : start + 8192]
        request += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    request += b"0\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        with contextlib.suppress(OSError):  # the server may answer 413 and close before reading it all
            sock.sendall(request)
        status_line = sock.makefile("rb").readline()
    return int(status_line.split()[1])


def test_real_process_serves_counts_across_workers_and_exits_cleanly(receiver: Receiver) -> None:
    n = 12
    with requests.Session() as session:
        for order_id in range(1, n + 1):
            body = order_body(order_id)
            response = session.post(
                f"{receiver.url}/webhook/woocommerce/order-created", data=body, headers=signed_headers(body)
            )
            assert response.status_code == 200, response.text
            assert response.json() == {"status": "accepted", "order_id": order_id}

    # Concurrent fresh connections, so that both workers take some of them.
    def one(order_id: int) -> int:
        url = f"{receiver.url}/webhook/woocommerce/order-created"
        body = order_body(order_id)
        return requests.post(url, data=body, headers=signed_headers(body), timeout=10).status_code

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(one, range(100, 100 + n))) == [200] * n
    assert requests.post(
        f"{receiver.url}/webhook/woocommerce/order-created", data=b"webhook_id=9", timeout=10
    ).ok
    body = order_body(99)
    assert chunked_post(receiver.port, body, signed_headers(body)) == 200
    assert chunked_post(receiver.port, b"x" * 200_000, signed_headers(b"x")) == 413
    assert requests.get(f"{receiver.url}/readyz", timeout=5).status_code == 200

    # Scrape several times (each may land on another worker): the counts are the whole tree's.
    for _ in range(4):
        text = requests.get(f"{receiver.url}/metrics", timeout=5).text
        assert f'woo_receiver_requests_total{{outcome="accepted"}} {2 * n + 1}.0' in text
        assert 'woo_receiver_requests_total{outcome="ping"} 1.0' in text
        assert 'woo_receiver_requests_total{outcome="too_large"} 1.0' in text
        assert f"woo_receiver_produce_latency_seconds_count {2 * n + 1}.0" in text
        assert "woo_receiver_in_flight_requests 0.0" in text

    lines = receiver.lines()
    access = [line for line in lines if line.get("logger") == "receiver.access"]
    assert len(access) == 2 * n + 3
    assert len({line["pid"] for line in access}) == WORKERS  # both workers served and were counted
    assert "j.mueller@example.com" not in receiver.log.read_text()

    receiver.process.send_signal(signal.SIGTERM)
    assert receiver.process.wait(timeout=30) == 0
    flushed = [line for line in receiver.lines() if line.get("msg") == "producer flushed"]
    assert len(flushed) == WORKERS
    assert all(line["undelivered"] == 0 for line in flushed)
