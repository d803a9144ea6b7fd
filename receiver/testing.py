"""Helpers for tests and benchmarks: a recording fake publisher, signed requests, the samples."""

from __future__ import annotations

import threading
from pathlib import Path

from receiver.publisher import Delivery, Headers, PublishError
from receiver.signature import sign, signing_key

SAMPLE_SECRET = "wc_test_s3cret&amp;x"  # noqa: S105 - the public test vector; stored form; the HMAC key is wc_test_s3cret&x
SAMPLE_SIGNATURE = "qSzaPwVm8pOjt36uLfOPV+9J9/WGxZwB3nN1BB0Cakc="  # of woo_order_created_body.json


class FakePublisher:
    """Records what would be published; `fail` makes every publish raise like a dead broker."""

    def __init__(self, *, fail: str | None = None, ready: bool = True) -> None:
        self.calls: list[tuple[str, bytes | None, bytes, Headers]] = []
        self.fail = fail
        self.is_ready = ready
        self.ready_calls = 0
        self._lock = threading.Lock()

    def publish(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        timeout_s: float,
        *,
        partition: int | None = None,
    ) -> Delivery:
        if self.fail is not None:
            raise PublishError(self.fail)
        with self._lock:
            self.calls.append((topic, key, value or b"", headers))
            return Delivery(0, len(self.calls) - 1)

    def ready(self, timeout_s: float) -> bool:
        self.ready_calls += 1
        return self.is_ready

    def close(self, timeout_s: float) -> int:
        return 0


def signed_headers(
    body: bytes, stored_secret: str = SAMPLE_SECRET, topic: str = "order.created"
) -> dict[str, str]:
    """The headers WooCommerce sends with a delivery of `body`."""
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[-1],
        "X-WC-Webhook-Signature": sign(signing_key(stored_secret), body),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "7d5c0c2b9a6e4f1a8b3c2d1e0f9a8b7c",
    }


def samples_dir() -> Path:
    """The reference samples (copies of shared/reference/samples, bytes exactly as PHP encodes them)."""
    return Path(__file__).resolve().parents[1] / "tests" / "data"


def sample_body(name: str = "woo_order_created_body.json") -> bytes:
    return (samples_dir() / name).read_bytes()


SAMPLE_MODIFIED = "2025-03-14T09:15:36"  # date_modified_gmt of woo_order_created_body.json


def order_body(order_id: int = 4711, modified: str = SAMPLE_MODIFIED) -> bytes:
    """The modern sample as another order (`id`) or another version of it (`date_modified_gmt`).

    Distinct bytes, so the door's replay filter (receiver.replays) publishes each one: tests that
    need several publications send several bodies, as WooCommerce would.
    """
    body = sample_body()
    assert body.startswith(b'{"id":4711,')
    body = b'{"id":%d,' % order_id + body[len(b'{"id":4711,') :]
    return body.replace(
        f'"date_modified_gmt":"{SAMPLE_MODIFIED}"'.encode(), f'"date_modified_gmt":"{modified}"'.encode()
    )
