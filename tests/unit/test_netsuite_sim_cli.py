"""`python -m devstack.netsuite_sim`: credentials from the consumer's env, one ready line, clean exit."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading

import pytest
import requests
from requests_oauthlib import OAuth1

ENV = {
    "NETSUITE_ACCOUNT_ID": "7654321",
    "NETSUITE_CONSUMER_KEY": "cli-key",
    "NETSUITE_CONSUMER_SECRET": "cli-secret",
    "NETSUITE_TOKEN_ID": "cli-token",
    "NETSUITE_TOKEN_SECRET": "cli-token-secret",
}


def first_line(proc: subprocess.Popen[str], timeout_s: float = 20.0) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout_s)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_serves_with_env_credentials_and_stops_on_signal(stop_signal: signal.Signals) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "devstack.netsuite_sim", "--port", "0", "--concurrency-limit", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **ENV},
    )
    try:
        line = first_line(proc)
        match = re.search(r"url=(http://127\.0\.0\.1:\d+)", line)
        assert match, line
        assert "NETSUITE_SHIPPING_ITEM_ID=901" in line
        assert "NETSUITE_TAX_ITEM_ID=904" in line
        assert "cli-secret" not in line
        assert "cli-token-secret" not in line
        auth = OAuth1(
            "cli-key",
            "cli-secret",
            "cli-token",
            "cli-token-secret",
            signature_method="HMAC-SHA256",
            realm="7654321",
        )
        resp = requests.get(f"{match.group(1)}/services/rest/record/v1/customer", auth=auth, timeout=5)
        assert resp.status_code == 200
        assert requests.get(f"{match.group(1)}/__sim/stats", timeout=5).json()["concurrency_limit"] == 2
        proc.send_signal(stop_signal)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
