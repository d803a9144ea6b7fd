"""Webhook deliveries, as WooCommerce makes them (`class-wc-webhook.php`, `wc-webhook-functions.php`).

* Asynchronous: an order event queues a delivery per matching active webhook (Action Scheduler);
  the **payload is built when the job runs**, from the order as it is then.
* A delivery already queued for the same webhook and order absorbs the next event of that order:
  the update is coalesced, and only the newest state is ever sent (WooCommerce issues #15699, #26851).
* `POST` to the delivery URL with the `X-WC-Webhook-*` headers, signed over the exact body bytes;
  success is a status 200-302. **No retry**: a failure adds to the webhook's failure count, a
  success resets it, and past `MAX_DELIVERY_FAILURES` (5) in a row the webhook is set to `disabled`,
  silently — it delivers nothing from then on.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from collections.abc import Callable

import requests

from devstack.demo_orders import php_json, sign
from devstack.woo_sim.config import MAX_DELIVERY_FAILURES
from devstack.woo_sim.store import ShopStore, Webhook

log = logging.getLogger(__name__)
USER_AGENT = "WooCommerce/9.7.1 Hookshot (WordPress/6.7.2)"


class Deliverer:
    """One worker thread working the queue of deliveries (like Action Scheduler's runner)."""

    def __init__(self, store: ShopStore, site_url: str, timeout_s: float) -> None:
        self._store, self._site_url, self._timeout_s = store, site_url, timeout_s
        self._queue: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
        self._pending: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._session = requests.Session()
        self.sent = self.failed = self.coalesced = 0
        self.on_delivery: Callable[[int, int, int], object] | None = None  # (webhook, order, status)
        self._thread = threading.Thread(target=self._run, name="woo-sim-deliveries", daemon=True)
        self._thread.start()

    def order_event(self, order_id: int, topic: str) -> int:
        """Queue a delivery of `order_id` to each active webhook of `topic`; returns how many."""
        queued = 0
        for hook in self._store.webhook_list():
            if hook.topic != topic or hook.status != "active":
                continue
            job = (hook.id, order_id)
            with self._lock:
                if job in self._pending:
                    self.coalesced += 1
                    continue
                self._pending.add(job)
            self._queue.put(job)
            queued += 1
        return queued

    def wait_idle(self, timeout_s: float) -> bool:
        """True once nothing is queued or being delivered."""
        deadline = time.monotonic() + timeout_s
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
        self._session.close()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._deliver(*job)
            except Exception:  # a delivery bug must not stop the runner
                log.exception("delivery failed")
            finally:
                with self._idle:
                    self._pending.discard(job)
                    self._idle.notify_all()

    def _deliver(self, webhook_id: int, order_id: int) -> None:
        hook = self._store.webhooks.get(webhook_id)
        order = self._store.get(order_id)
        if hook is None or order is None or hook.status != "active":
            return
        body = php_json(order)  # built now, from the order as it is now
        status = self._post(hook, body)
        ok = 200 <= status <= 302
        with self._store.lock:
            if ok:
                hook.failure_count = 0
                self.sent += 1
            else:
                hook.failure_count += 1
                self.failed += 1
                if hook.failure_count > MAX_DELIVERY_FAILURES:
                    hook.status = "disabled"
                    log.warning("webhook %d disabled after %d failures", hook.id, hook.failure_count)
        if self.on_delivery is not None:
            self.on_delivery(webhook_id, order_id, status)

    def _post(self, hook: Webhook, body: bytes) -> int:
        resource, event = hook.topic.split(".", 1)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-WC-Webhook-Source": self._site_url.rstrip("/") + "/",
            "X-WC-Webhook-Topic": hook.topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": sign(body, hook.secret),
            "X-WC-Webhook-ID": str(hook.id),
            # wp_hash(webhook id . time): not unique per delivery
            "X-WC-Webhook-Delivery-ID": hashlib.md5(
                f"{hook.id}{int(time.time())}".encode(), usedforsecurity=False
            ).hexdigest(),
        }
        try:
            resp = self._session.post(
                hook.delivery_url, data=body, headers=headers, timeout=self._timeout_s, allow_redirects=False
            )
        except requests.RequestException:
            return 0  # WP_Error: counts as a failure
        return resp.status_code
