"""The receiver's gunicorn worker: gthread with a read deadline for every request.

gunicorn 23's gthread worker hands a connection to a request thread once its first byte is readable,
then reads it through a blocking socket without any timeout (`TConn.init` calls `setblocking(True)`);
its `timeout` setting is only the worker's heartbeat to the master. A client that sends one byte and
stops keeps that thread for as long as it keeps the connection: 40 such connections held every thread
of a 2 x 8 receiver, `/healthz` timed out, liveness restarted the pod and readiness dropped it, while
CPU stayed idle for the HPA. (gunicorn issue #2652 tabulates it: gthread waits "infinity" for a
client that connects and sends nothing; PR #3519 frees threads from slow clients only in 24.x.)
A new connection that never sends a byte holds no thread but is never timed out either (gthread puts
only kept-alive connections on its idle queue), and `worker_connections` (1000) of them stop the worker
from accepting at all.

So here:

* **Read deadline.** A request - line, headers and body - must arrive within `read_timeout_s`
  (RECEIVER_READ_TIMEOUT_S) of its first byte. Each `recv` waits at most the time left; past the
  deadline a read that would wait ends the request (`ReadDeadline`, counted) and gunicorn closes the
  connection. Data already received is still read, so a request that waited in the queue behind slow
  ones but arrived whole is served. The bound this gives: every connection queued ahead of a request
  started earlier, so its deadline falls earlier, and a request gets a thread within
  `read_timeout_s` of its first byte however many slow clients there are.
* **Idle new connections** join the idle (keep-alive) queue at once and are closed after `keepalive`
  seconds without a byte, like idle kept-alive ones.
* **Writes** wait at most `read_timeout_s` for the client to take each response.
* **`Connection: close` from the app is kept.** gunicorn drops the hop-by-hop headers an app sets
  (PEP 3333 leaves the connection to the server) and keeps an HTTP/1.1 connection after any answer.
  After a 413 whose body was refused unread, its parser would read that body to its end (under a
  fresh deadline) before the next request; after a 408, wait for it once more. The webhook asks for
  the close on both (`receiver.webhook.Answer`); `close_when_asked` ends the connection with them.

A buffering ingress in front (deploy/README.md, "Ingress") keeps slow clients off the pod altogether;
this is the backstop. The worker reuses gthread's internals, hence gunicorn is pinned below 24.
"""

from __future__ import annotations

import errno
import selectors
import socket
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any

from gunicorn.http.errors import NoMoreData
from gunicorn.http.wsgi import Response
from gunicorn.workers.gthread import TConn, ThreadWorker

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DEFAULT_READ_TIMEOUT_S = 5.0
_LAST_CHANCE_S = 0.001  # past the deadline: take what is already there, wait for nothing more


class ReadDeadline(NoMoreData):  # type: ignore[misc]
    """The request did not arrive within the read deadline.

    A `NoMoreData` (an OSError), so gunicorn treats it as a premature disconnect - a debug line and
    the connection closed - instead of logging a traceback per slow client.
    """

    def __str__(self) -> str:
        return "request not received within the read deadline"


class DeadlineSocket:
    """A connection's socket whose reads share one deadline per request (and writes have a timeout).

    gunicorn's parser and body readers read only through `recv`; everything else (fileno,
    setblocking, sendall's friends, close) is passed through to the real socket.
    """

    __slots__ = ("_deadline", "_on_deadline", "_sock", "_timeout_s")

    def __init__(self, sock: socket.socket, timeout_s: float, on_deadline: Callable[[], None]) -> None:
        self._sock = sock
        self._timeout_s = timeout_s
        self._on_deadline = on_deadline
        self._deadline = time.monotonic() + timeout_s

    def start_request(self) -> None:
        """The first byte of a request is here: its deadline starts now."""
        self._deadline = time.monotonic() + self._timeout_s

    def recv(self, size: int, flags: int = 0) -> bytes:
        """What has arrived, at once; else wait until the deadline (past it: `_LAST_CHANCE_S`).

        The bytes are usually there already (the worker hands a connection over once it is
        readable), so the first try does not wait: one `recv`. A socket with a timeout polls before
        every `recv` - another system call, and another release of the GIL, which a busy
        receiver's threads then queue to take back (a context switch each way).
        """
        sock = self._sock
        if sock.gettimeout() != 0.0:
            sock.settimeout(0.0)  # gthread makes the socket blocking once per connection
        try:
            return sock.recv(size, flags)
        except BlockingIOError:
            pass
        left = self._deadline - time.monotonic()
        sock.settimeout(left if left > _LAST_CHANCE_S else _LAST_CHANCE_S)
        try:
            return sock.recv(size, flags)
        except TimeoutError:
            self._on_deadline()
            raise ReadDeadline() from None

    def sendall(self, data: bytes, flags: int = 0) -> None:
        """What the socket buffer takes at once (an answer: all of it), the rest within the timeout."""
        sock = self._sock
        if sock.gettimeout() != 0.0:
            sock.settimeout(0.0)
        try:
            sent = sock.send(data, flags)
        except BlockingIOError:
            sent = 0
        if sent < len(data):
            sock.settimeout(self._timeout_s)
            sock.sendall(memoryview(data)[sent:], flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class DeadlineWorker(ThreadWorker):  # type: ignore[misc]
    """gthread with the read deadline and idle timeout above.

    Reads `read_timeout_s` and `on_read_deadline` from the gunicorn application object
    (receiver.server.GunicornServer) of its process.
    """

    def init_process(self) -> None:
        self.read_timeout_s = float(getattr(self.app, "read_timeout_s", None) or DEFAULT_READ_TIMEOUT_S)
        hook = getattr(self.app, "on_read_deadline", None)
        self.on_read_deadline: Callable[[], None] = hook if hook is not None else _nothing
        self.idle_s = max(float(self.cfg.keepalive), 1.0)
        super().init_process()

    def load_wsgi(self) -> None:
        super().load_wsgi()
        self.wsgi: WSGIApplication = close_when_asked(self.wsgi)

    def accept(self, server: Any, listener: socket.socket) -> None:
        """gthread's accept, with our socket and the new connection on the idle queue."""
        try:
            sock, client = listener.accept()
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        if self.cfg.is_ssl:  # not used by the receiver (TLS ends at the ingress); no deadline then
            conn = TConn(self.cfg, sock, client, server)
        else:
            wrapped = DeadlineSocket(sock, self.read_timeout_s, self.on_read_deadline)
            conn = TConn(self.cfg, wrapped, client, server)
        self.nr_conns += 1
        conn.timeout = time.time() + self.idle_s  # gthread's clock for its idle queue
        with self._lock:
            self._keep.append(conn)
            self.poller.register(
                conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn)
            )

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        with self._lock:
            self.poller.unregister(client)
            try:
                self._keep.remove(conn)  # new and kept-alive connections alike wait there
            except ValueError:
                return  # closed as idle meanwhile
        self.enqueue_req(conn)

    def enqueue_req(self, conn: TConn) -> None:
        if isinstance(conn.sock, DeadlineSocket):
            conn.sock.start_request()  # from the first byte, not from when a thread is free
        super().enqueue_req(conn)


def close_when_asked(app: WSGIApplication) -> WSGIApplication:
    """`app`, whose `Connection: close` ends the connection: gunicorn hands the app its response's
    bound `start_response`, and `force_close()` is how its own worker ends a connection."""

    def app_closing(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if any(n.lower() == "connection" and v.lower() == "close" for n, v in headers):
                response = getattr(start_response, "__self__", None)
                if isinstance(response, Response):
                    response.force_close()
            return start_response(status, headers, exc_info)

        return app(environ, start)

    return app_closing


def _nothing() -> None:
    return None
