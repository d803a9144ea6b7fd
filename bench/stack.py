"""The deployed shape on one machine, for benchmarks: broker, receiver and members as processes.

The NetSuite simulator runs inside the benchmark's process, so it can note the instant each record
is written (`WriteClock`) on the benchmark's own clock; the production processes see only its URL,
as they would see NetSuite's. Logs go to a temporary directory the benchmark names on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from devstack.broker import EmbeddedBroker, free_port, start_tansu
from devstack.netsuite_sim import NetSuiteSimulator
from devstack.netsuite_sim.messages import Request, Response

SECRET = "bench-latency-webhook-s3cret"  # noqa: S105 - a throwaway secret for the run
_RECORD = re.compile(r"/services/rest/record/v1/(\w+)/eid:([\w-]+)")


@dataclass
class WriteClock:
    """Wraps the simulator's request path: when each record was first written (2xx PUT), and the
    NetSuite requests per external id (writes and reads), on `time.monotonic`."""

    written: dict[str, float] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    other_calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, sim: NetSuiteSimulator) -> None:
        app = sim._app  # the one hook a benchmark needs; the simulator's behaviour is unchanged
        inner = app.handle_api

        def handle_api(request: Request) -> Response | None:
            response = inner(request)
            now = time.monotonic()
            match = _RECORD.fullmatch(request.path)
            with self._lock:
                if match is None:
                    self.other_calls += 1
                    return response
                external_id = match.group(2)
                self.calls[external_id] += 1
                ok = response is not None and 200 <= response.status < 300
                if ok and request.method == "PUT":
                    self.written.setdefault(external_id, now)
            return response

        app.handle_api = handle_api  # type: ignore[method-assign]

    def snapshot(self) -> tuple[dict[str, float], Counter[str], int]:
        with self._lock:
            return dict(self.written), Counter(self.calls), self.other_calls


@dataclass
class Stack:
    broker: EmbeddedBroker | None
    bootstrap: str
    env: dict[str, str]
    log_dir: Path
    receiver_port: int
    receiver: subprocess.Popen[bytes] | None = None
    members: list[tuple[subprocess.Popen[bytes], int]] = field(default_factory=list)

    def start_receiver(self) -> None:
        self.receiver = self._spawn("receiver", ["-m", "receiver"], {})
        _wait_ok(f"http://127.0.0.1:{self.receiver_port}/readyz", 60, self.receiver)

    def start_member(self, n: int) -> None:
        port = free_port(avoid=self._ports())
        proc = self._spawn(f"member-{n}", ["-m", "consumer"], {"METRICS_PORT": str(port)})
        self.members.append((proc, port))

    def wait_members_ready(self, timeout_s: float) -> None:
        for proc, port in self.members:
            _wait_ok(f"http://127.0.0.1:{port}/readyz", timeout_s, proc)

    def restart_member(self, index: int) -> None:
        """SIGTERM one member (it commits and leaves the group), then start it again."""
        proc, _ = self.members[index]
        _terminate(proc)
        name = f"member-{index + 1}"
        port = free_port(avoid=self._ports())
        self.members[index] = (self._spawn(name, ["-m", "consumer"], {"METRICS_PORT": str(port)}), port)

    def _ports(self) -> set[int]:
        """Ports handed out to this stack's processes (a member binds its own a moment later)."""
        return {self.receiver_port, *(port for _, port in self.members)}

    def check(self) -> None:
        for name, proc in self._processes():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; logs in {self.log_dir}")

    def member_log_lines(self) -> Iterator[dict[str, Any]]:
        """Every JSON log line of every member run so far."""
        for path in sorted(self.log_dir.glob("member-*.log")):
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        yield json.loads(line)

    def stop(self) -> None:
        for _, proc in reversed(list(self._processes())):
            _terminate(proc)
        if self.broker is not None:
            self.broker.stop()

    def _processes(self) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
        if self.receiver is not None:
            yield "receiver", self.receiver
        for n, (proc, _) in enumerate(self.members, 1):
            yield f"member-{n}", proc

    def _spawn(self, name: str, args: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
        return subprocess.Popen(
            [sys.executable, *args],
            env={**os.environ, **self.env, **extra},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def build_stack(sim: NetSuiteSimulator, *, partitions: int, limit: int, extra_env: dict[str, str]) -> Stack:
    """Broker (KAFKA_BOOTSTRAP_SERVERS or an embedded tansu) and topics; processes start later."""
    log_dir = Path(tempfile.mkdtemp(prefix="woo-bench-"))
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    broker = None if bootstrap else start_tansu(log_path=log_dir / "broker.log")
    bootstrap = bootstrap or (broker.bootstrap if broker else "")
    run = f"bench-{os.getpid()}-{int(time.time())}"
    receiver_port = free_port()
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_SESSION_TIMEOUT_MS": "6000",
        "ORDERS_TOPIC": f"{run}.orders",
        "ORDERS_TOPIC_PARTITIONS": str(partitions),
        "CONSUMER_GROUP": f"{run}-group",
        "WOOCOMMERCE_WEBHOOK_SECRET": SECRET,
        "PORT": str(receiver_port),
        "RECEIVER_HOST": "127.0.0.1",
        "METRICS_HOST": "127.0.0.1",
        "NETSUITE_CONCURRENCY": str(limit),
        "LOG_LEVEL": "INFO",
        **sim.env(),
        # the set-up (two calls per new order, one per returning): payments add one per order
        "NETSUITE_PAYMENT_RECORDS": "off",
        **extra_env,
    }
    stack = Stack(broker, bootstrap, env, log_dir, receiver_port)
    created = subprocess.run(
        [sys.executable, "-m", "consumer", "topics"],
        env={**os.environ, **env},
        capture_output=True,
        timeout=120,
        check=False,
    )
    if created.returncode != 0:
        stack.stop()
        raise RuntimeError(f"creating topics failed: {created.stderr.decode()[-500:]}")
    return stack


def broker_delivery(bootstrap: str, *, samples: int = 200, interval_s: float = 0.02) -> list[float]:
    """Seconds from produce to a bare consumer's hands, one record every `interval_s`: what the
    broker itself adds to the `delivery` stage, measured in the same run."""
    from confluent_kafka import Consumer, Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"bench-delivery-{os.getpid()}-{int(time.time())}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 3, 1)])[topic].result(30)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": topic, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    deadline = time.monotonic() + 30
    while not consumer.assignment() and time.monotonic() < deadline:
        consumer.poll(0.1)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1, "enable.idempotence": True})

    def produce() -> None:
        for i in range(samples):
            producer.produce(topic, key=str(i).encode(), value=b"x")
            producer.poll(0)
            time.sleep(interval_s)
        producer.flush(10)

    sender = threading.Thread(target=produce, daemon=True)
    sender.start()
    out: list[float] = []
    deadline = time.monotonic() + samples * interval_s + 30
    while len(out) < samples and time.monotonic() < deadline:
        for msg in consumer.consume(1, 0.1):
            if msg.error() is None:
                out.append(max(0.0, time.time() - msg.timestamp()[1] / 1000))
    sender.join()
    consumer.close()
    return out


def scrape(port: int) -> dict[str, dict[tuple[tuple[str, str], ...], float]]:
    """A member's /metrics as {sample name: {sorted labels: value}} (empty while it is down)."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except requests.RequestException:
        return {}
    out: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name][tuple(sorted(s.labels.items()))] = s.value
    return out


def _wait_ok(url: str, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {proc.returncode}")
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} not ready within {timeout_s:.0f}s")


def _terminate(proc: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
