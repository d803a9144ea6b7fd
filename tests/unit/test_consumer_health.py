"""The consumer's health endpoints: ready follows the member (joined, not halted, reasons named);
live fails only for what a restart fixes; metrics are served in Prometheus text."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from consumer import health, metrics
from consumer.netsuite import client  # noqa: F401 - registers the NetSuite request metrics


@pytest.fixture
def base() -> Iterator[str]:
    server = health.serve(0, host="127.0.0.1")
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        metrics.READY.set(0)
        health.attach(problems=list, halted=dict)
        server.shutdown()


def test_readyz_follows_the_ready_gauge_and_names_the_halt_reasons(base: str) -> None:
    halted = {"netsuite_outage": "12 NetSuite calls failed in a row"}
    health.attach(problems=list, halted=lambda: halted)
    metrics.READY.set(0)
    answer = requests.get(f"{base}/readyz", timeout=5)
    assert answer.status_code == 503
    assert answer.json() == {"ready": False, "halted": halted}
    metrics.READY.set(1)
    assert requests.get(f"{base}/readyz", timeout=5).status_code == 200
    text = requests.get(f"{base}/metrics", timeout=5).text
    assert "woo_consumer_outcomes_total" in text
    assert "woo_netsuite_request_seconds" in text


def test_healthz_fails_with_the_members_problems(base: str) -> None:
    problems: list[str] = []
    health.attach(problems=lambda: problems, halted=dict)
    assert requests.get(f"{base}/healthz", timeout=5).status_code == 200
    problems.append("credentials prober died")
    answer = requests.get(f"{base}/healthz", timeout=5)
    assert answer.status_code == 503
    assert answer.json() == {"status": "unhealthy", "problems": ["credentials prober died"]}
