"""`make run`'s driver (`python -m devstack.run`) end to end: the whole stack as real processes.

Embedded broker, NetSuite and WooCommerce simulators, receiver (gunicorn), consumer and reconcile
start; demo orders placed in the shop flow through to NetSuite (the simulator) and the dead-letter
topic — those whose webhook the shop never sent through reconcile — the progress line adds up, and
on exit — by itself or on Ctrl-C — every process it started is gone (their ports refuse connections).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = re.compile(r"(?:^broker\s+|http://)127\.0\.0\.1:(\d+)", re.MULTILINE)
PROGRESS = re.compile(
    r"orders\s+(\d+) \| webhooks\s+(\d+) \| recovered by reconcile\s+(\d+) \| "
    r"written to NetSuite\s+(\d+) \| retrying\s+(\d+) \| dead-lettered\s+(\d+)"
)


def start(tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}  # the embedded default
    return subprocess.Popen(
        [sys.executable, "-m", "devstack.run", *args],
        cwd=tmp_path,  # its .run/ logs go here
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def ports(output: str) -> set[int]:
    return {int(p) for p in ADDRESS.findall(output)}


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def listen_addresses(port: int) -> set[str]:
    """Local addresses of the sockets listening on `port` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        for line in table.read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def stop_with(signum: int, tmp_path: Path) -> str:
    """Start until Ctrl-C; once reconcile (the last) is up, send `signum` to the foreground group;
    the output."""
    proc = start(tmp_path)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not any(line.startswith("reconcile ") for line in lines):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
    try:
        assert any(line.startswith("reconcile ") for line in lines), "".join(lines)
        for port in ports("".join(lines)):  # a public demo secret: loopback only
            addresses = listen_addresses(port)
            assert addresses, f"nothing listens on {port}"
            assert addresses <= {"0100007F", "00000000000000000000000001000000"}, (port, addresses)
        os.killpg(proc.pid, signum)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"make run did not stop within 60 s of signal {signum}")
    return "".join(lines) + rest


def test_demo_orders_flow_and_every_process_stops(tmp_path: Path) -> None:
    proc = start(tmp_path, "--orders", "30", "--rate", "20")
    try:
        output, _ = proc.communicate(timeout=150)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    orders, webhooks, recovered, written, _retrying, dead = map(int, PROGRESS.findall(output)[-1])
    after = re.search(r"After the sale: (\d+) refunds \((\d+) booked in NetSuite\), (\d+) cancellations "
                      r"\((\d+) applied\)", output)  # fmt: skip
    assert after is not None, output
    refunds, booked, cancellations, applied = map(int, after.groups())
    assert refunds >= 1
    assert cancellations >= 1
    assert (booked, applied) == (refunds, cancellations)  # each once, whatever the retries
    assert (orders, webhooks - refunds - cancellations, recovered) == (30, 27, 3)  # every 10th never sent
    assert dead >= 1  # the 25th demo order names an unknown SKU
    # every order written or dead-lettered — but one cancelled while its paid version waited in a retry
    # topic is never written (the cancellation won): rare (a 503 or 429 on its first write)
    assert 30 - cancellations <= written + dead <= 30
    assert f"{dead} dead-lettered." in output  # the closing summary, with the dead letters listed
    assert "NO-SUCH-SKU" in output
    assert "python -m consumer redrive --all" in output
    found = ports(output)
    assert len(found) == 6, output  # broker, simulators, receiver, consumer and reconcile metrics
    assert [p for p in found if listening(p)] == []
    assert (tmp_path / ".run" / "consumer.log").stat().st_size > 0


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGHUP], ids=["ctrl-c", "terminal-closed"])
def test_ctrl_c_or_closing_the_terminal_stops_every_process(tmp_path: Path, signum: int) -> None:
    (tmp_path / ".run").mkdir()
    (tmp_path / ".run" / "consumer.log").write_text("a previous run's line\n")
    output = stop_with(signum, tmp_path)
    assert "stopping" in output
    found = ports(output)
    assert len(found) == 6, output
    assert [p for p in found if listening(p)] == []
    assert "a previous run's line" not in (tmp_path / ".run" / "consumer.log").read_text()  # fresh logs
