"""The worker's read deadline on one socket (the end-to-end behaviour is in
tests/integration/test_receiver_door.py)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from receiver.worker import DeadlineSocket, ReadDeadline


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    ours, theirs = socket.socketpair()
    try:
        yield ours, theirs
    finally:
        ours.close()
        theirs.close()


def test_a_stalled_request_ends_at_its_deadline_and_is_counted(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    cut: list[bool] = []
    sock = DeadlineSocket(ours, 0.3, lambda: cut.append(True))
    sock.start_request()
    theirs.sendall(b"P")
    started = time.monotonic()
    assert sock.recv(8192) == b"P"
    with pytest.raises(ReadDeadline):
        sock.recv(8192)  # nothing more comes: one deadline for the whole request, not per read
    assert 0.2 <= time.monotonic() - started < 1.5
    assert cut == [True]
    assert isinstance(ReadDeadline(), OSError)  # gunicorn closes the connection quietly


def read_until_cut(sock: DeadlineSocket) -> None:
    while True:
        sock.recv(1)


def test_dribbling_does_not_extend_the_deadline(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    sock = DeadlineSocket(ours, 0.5, lambda: None)
    stop = threading.Event()

    def dribble() -> None:  # a byte every 0.1 s would pass any per-read timeout
        for _ in range(50):
            if stop.wait(0.1):
                return
            theirs.sendall(b"x")

    sender = threading.Thread(target=dribble)
    sock.start_request()
    started = time.monotonic()
    sender.start()
    try:
        with pytest.raises(ReadDeadline):
            read_until_cut(sock)
    finally:
        stop.set()
        sender.join()
    assert 0.4 <= time.monotonic() - started < 1.5


def test_what_already_arrived_is_still_read_after_the_deadline(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """A request that waited in the queue behind slow ones but arrived whole is served."""
    ours, theirs = pair
    sock = DeadlineSocket(ours, 0.05, lambda: None)
    sock.start_request()
    theirs.sendall(b"GET /healthz HTTP/1.1\r\n\r\n")
    time.sleep(0.1)  # the deadline passes while the request waits for a thread
    assert sock.recv(8192) == b"GET /healthz HTTP/1.1\r\n\r\n"


def test_each_request_gets_a_fresh_deadline(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    sock = DeadlineSocket(ours, 0.2, lambda: None)
    time.sleep(0.25)
    sock.start_request()  # a kept-alive connection's next request
    theirs.sendall(b"next")
    assert sock.recv(8192) == b"next"


def test_everything_else_is_the_real_socket(pair: tuple[socket.socket, socket.socket]) -> None:
    ours, theirs = pair
    sock = DeadlineSocket(ours, 1.0, lambda: None)
    assert sock.fileno() == ours.fileno()
    sock.sendall(b"answer")
    assert theirs.recv(100) == b"answer"
    sock.setblocking(False)
    assert ours.gettimeout() == 0.0


def test_a_blocking_socket_reads_what_is_there_and_then_waits_until_the_deadline(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    """gthread hands the socket over blocking; the first read takes what is there without waiting."""
    ours, theirs = pair
    ours.setblocking(True)
    cut: list[bool] = []
    sock = DeadlineSocket(ours, 0.2, lambda: cut.append(True))
    sock.start_request()
    theirs.sendall(b"POST / HTTP/1.1\r\n")
    assert sock.recv(8192) == b"POST / HTTP/1.1\r\n"
    started = time.monotonic()
    with pytest.raises(ReadDeadline):
        sock.recv(8192)
    assert 0.1 <= time.monotonic() - started < 1.5
    assert cut == [True]


def test_an_answer_larger_than_the_socket_buffer_is_sent_whole(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    ours, theirs = pair
    sock = DeadlineSocket(ours, 5.0, lambda: None)
    answer = bytes(range(256)) * 16_384  # 4 MiB: the first send takes only part of it
    received = bytearray()

    def read() -> None:
        while len(received) < len(answer):
            received.extend(theirs.recv(65536))

    reader = threading.Thread(target=read)
    reader.start()
    sock.sendall(answer)
    reader.join(timeout=10)
    assert bytes(received) == answer
