"""The door's replay filter: a body already published recently is answered 200 and not published again.

WooCommerce's delivery log keeps each delivery's request headers, the signature among them (and, with
WP_DEBUG, the body: `WC_Webhook::log_delivery`), while the topic header and the path are not signed. So
whoever reads those logs can replay a delivery, and every replay would publish another record of up to
a few MiB. The consumer's versioned, idempotent writes make a replay harmless in NetSuite; this filter
keeps it off the topic too.

The key is the verified signature, base64(HMAC-SHA256(secret, body)): the route computed it already,
and an attacker cannot choose a body for a key without the secret. The same body signed with the
previous secret during a rotation has another key and may be published once more (harmless).

The bound, per process: at most `capacity` bodies, each remembered for `window_s` after its
publication (the oldest are forgotten first when more arrive). gunicorn runs several worker processes
per pod and each keeps its own memory, so a body replayed again and again is published at most once per
worker process and pod within the window (RECEIVER_WORKERS x replicas), and again after it; downstream
that is the unchanged re-write the consumer skips.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class ReplayFilter:
    """Signature → order id of what this process published in the last `window_s` (LRU, bounded)."""

    def __init__(self, capacity: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = capacity
        self._window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        # Insertion order is expiry order: every entry lives exactly window_s from its insertion.
        self._published: OrderedDict[bytes, tuple[int, float]] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._capacity > 0 and self._window_s > 0

    def seen(self, key: bytes) -> int | None:
        """The order id when `key` was published within the window, else None."""
        if not self.enabled:
            return None
        with self._lock:
            entry = self._published.get(key)
            if entry is None:
                return None
            if entry[1] <= self._clock():
                del self._published[key]
                return None
            return entry[0]

    def remember(self, key: bytes, order_id: int) -> None:
        """Note a publication (after the broker's acknowledgement)."""
        if not self.enabled:
            return
        with self._lock:
            now = self._clock()
            self._published.pop(key, None)
            self._published[key] = (order_id, now + self._window_s)
            while self._published:
                oldest = next(iter(self._published.values()))
                if len(self._published) <= self._capacity and oldest[1] > now:
                    break
                self._published.popitem(last=False)

    def __len__(self) -> int:
        return len(self._published)
