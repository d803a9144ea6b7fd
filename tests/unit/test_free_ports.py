"""devstack's free ports: several picked for one run are distinct.

`make run` picks five ports before its processes bind them. A port picked by binding port 0 and
closing the socket is free again at once, and the kernel may hand it out on the next bind (CI saw
the receiver and the consumer's metrics given the same port): ports picked together must be held
until all are picked. `FakeSocket` is such a kernel — it gives the lowest port no open socket holds.
"""

from __future__ import annotations

import socket
from typing import Any

from devstack import broker


class FakeSocket:
    held: set[int] = set()

    def __init__(self, *_: Any) -> None:
        self.port: int | None = None

    def bind(self, address: tuple[str, int]) -> None:
        assert address == ("127.0.0.1", 0)
        self.port = min(p for p in range(40000, 40100) if p not in FakeSocket.held)
        FakeSocket.held.add(self.port)

    def getsockname(self) -> tuple[str, int]:
        assert self.port is not None
        return ("127.0.0.1", self.port)

    def close(self) -> None:
        FakeSocket.held.discard(self.port or 0)

    def __enter__(self) -> FakeSocket:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def test_ports_picked_together_are_distinct_even_when_the_kernel_reuses_a_released_port() -> None:
    FakeSocket.held = set()
    assert broker.free_ports(5, FakeSocket) == [40000, 40001, 40002, 40003, 40004]  # type: ignore[arg-type]
    assert FakeSocket.held == set()  # all released again, for the processes to bind


def test_a_port_handed_out_before_is_avoided() -> None:
    """`bench.stack` starts members one after another, each binding its port a moment later."""
    FakeSocket.held = set()
    assert broker.free_ports(2, FakeSocket, avoid={40000, 40002}) == [40001, 40003]  # type: ignore[arg-type]
    assert FakeSocket.held == set()


def test_free_ports_on_the_real_kernel() -> None:
    ports = broker.free_ports(5)
    assert len(set(ports)) == 5
    for port in ports:  # each is free now
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
