"""An open-loop webhook sender: each order goes out at its scheduled instant, whatever came before.

A few threads with keep-alive connections share the schedule round-robin, so one slow answer
delays only that thread's next order (noted as `late_s`), never the rate as a whole.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass

from bench.mix import Planned

PATH = "/webhook/woocommerce/order-created"


@dataclass
class Sent:
    planned: Planned
    due: float  # time.monotonic
    sent: float
    answered: float
    status: int

    @property
    def late_s(self) -> float:
        return self.sent - self.due


def send_all(
    port: int, schedule: list[tuple[float, Planned]], *, threads: int, stop: threading.Event
) -> list[Sent]:
    """POST every planned order at its due time (monotonic); returns what was sent, in order."""
    results: list[list[Sent]] = [[] for _ in range(threads)]

    def run(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for due, planned in schedule[k::threads]:
            if stop.wait(max(0.0, due - time.monotonic())):
                return
            sent = time.monotonic()
            status = _post(conn, planned)
            if status < 0:  # the connection broke: one fresh try
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status = _post(conn, planned)
            results[k].append(Sent(planned, due, sent, time.monotonic(), status))
        conn.close()

    workers = [
        threading.Thread(target=run, args=(k,), name=f"sender-{k}", daemon=True) for k in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return sorted((s for part in results for s in part), key=lambda s: s.due)


def _post(conn: http.client.HTTPConnection, planned: Planned) -> int:
    try:
        conn.request("POST", PATH, body=planned.body, headers=planned.headers)
        response = conn.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return -1
