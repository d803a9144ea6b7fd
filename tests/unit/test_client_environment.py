"""What the NetSuite client does around the wire: it reads the proxy and CA-bundle variables once,
when it is built, and honours them (HTTPS_PROXY / HTTP_PROXY, NO_PROXY, REQUESTS_CA_BUNDLE) —
requests would re-read the whole environment on every call — and it builds and signs a request
before taking a governor slot."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from consumer.errors import Transient
from consumer.netsuite import client as client_module
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.governor import Governor
from consumer.netsuite.settings import NetSuiteSettings

NETSUITE = "http://netsuite.invalid:8443"  # never resolves: only a proxy can answer for it


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    """An HTTP proxy that answers every request itself, noting the absolute URL it was asked for."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()
    httpd.server_close()


def client(base: str = NETSUITE, slots: int = 2) -> NetSuiteClient:
    settings = NetSuiteSettings(
        netsuite_account_id="1234567_SB1",
        netsuite_consumer_key="ck",
        netsuite_consumer_secret="cs",
        netsuite_token_id="tk",
        netsuite_token_secret="ts",
        netsuite_base_url=base,
        netsuite_allow_http=base == NETSUITE,  # the loopback bases need no opt-in
        netsuite_connect_timeout_s=2,
    )
    return NetSuiteClient(settings, Governor(slots))


def test_calls_go_through_the_proxy_of_the_environment_as_it_was_at_start(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, asked = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    c = client()
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # changed later: not read per request
    c.probe()
    assert asked == [f"{NETSUITE}/services/rest/record/v1/customer?limit=1"]


def test_no_proxy_for_netsuites_host_is_honoured(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, asked = proxy
    monkeypatch.setenv("HTTP_PROXY", url)
    monkeypatch.setenv("NO_PROXY", "netsuite.invalid")
    with pytest.raises(Transient):
        client().probe()  # straight to a host that does not resolve
    assert asked == []


def test_a_ca_bundle_from_the_environment_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/corporate.pem")
    assert client()._session.verify == "/etc/ssl/certs/corporate.pem"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    assert client()._session.verify is True


def slots_held_at_each_signing(proxy_url: str, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One probe through the proxy; how many governor slots were held each time it was signed."""
    monkeypatch.setenv("HTTP_PROXY", proxy_url)
    c = client()
    signing = c._session.auth
    assert signing is not None
    held: list[int] = []

    def sign(request: Any) -> Any:
        held.append(c.governor.in_flight)
        return signing(request)

    c._session.auth = sign
    c.probe()
    return held


def test_a_request_is_built_and_signed_before_it_takes_a_slot(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signing is the client's CPU-heavy part (~0.6 ms): done while holding a slot, it kept slots
    busy that NetSuite saw idle."""
    assert slots_held_at_each_signing(proxy[0], monkeypatch) == [0]


def test_after_a_long_wait_for_a_slot_the_request_is_signed_again_inside_it(
    proxy: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TBA's timestamp must be recent: a request signed before minutes of waiting would be a 401."""
    monkeypatch.setattr(client_module, "RESIGN_AFTER_S", -1.0)  # every wait counts as long
    assert slots_held_at_each_signing(proxy[0], monkeypatch) == [0, 1]


@pytest.mark.parametrize("base", ["http://127.0.0.1:8765", "http://localhost:8765"])
def test_a_loopback_base_url_goes_to_no_proxy(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """http:// to loopback is allowed because it never leaves the machine; a proxy from the
    environment would carry it, in clear, to another one."""
    from consumer.woocommerce.client import WooClient
    from consumer.woocommerce.settings import WooCommerceSettings

    monkeypatch.setenv("HTTP_PROXY", "http://proxy.corp.invalid:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    ns = client(base)
    shop = WooClient(
        WooCommerceSettings(
            woocommerce_api_url=base, woocommerce_consumer_key="ck_x", woocommerce_consumer_secret="cs_x"
        )
    )
    for session in (ns._session, shop._session):
        assert session.merge_environment_settings(base + "/x", {}, None, None, None)["proxies"] == {}
    remote = client()  # http:// to another host (opted in): its proxy is still honoured
    assert remote._session.merge_environment_settings(NETSUITE + "/x", {}, None, None, None)["proxies"]
