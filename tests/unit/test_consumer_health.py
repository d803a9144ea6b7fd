"""The consumer's health endpoints follow its readiness gauge; metrics are served in Prometheus text."""

from __future__ import annotations

import requests

from consumer import health, metrics
from consumer.netsuite import client  # noqa: F401 - registers the NetSuite request metrics


def test_readyz_follows_the_ready_gauge_and_metrics_are_served() -> None:
    server = health.serve(0, host="127.0.0.1")
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        metrics.READY.set(0)
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 503
        metrics.READY.set(1)
        assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
        assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
        text = requests.get(f"{base}/metrics", timeout=5).text
        assert "woo_consumer_outcomes_total" in text
        assert "woo_netsuite_request_seconds" in text
    finally:
        metrics.READY.set(0)
        server.shutdown()
