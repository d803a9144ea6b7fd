"""NetSuiteClient against a tiny local HTTP server with canned answers: the status → error mapping,
request shape (signing, headers, replace, pagination) and what reaches the governor and metrics.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from prometheus_client import REGISTRY

from consumer.errors import (
    AuthFailure,
    NotFound,
    Rejected,
    SyncError,
    Throttled,
    Transient,
    TryAgain,
    Unmappable,
)
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.governor import Governor
from consumer.netsuite.settings import NetSuiteSettings
from consumer.pipeline.lease import Lease, Leases

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class Canned:
    """Answers every request with `answer(seen)`; remembers what it saw."""

    answer: Callable[[Seen], Answer] = lambda seen: (204, {}, b"")
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


def ns_error(status: int, code: str | None, detail: str = "", path: str | None = None) -> Answer:
    detail_obj: dict[str, Any] = {"detail": detail, "o:errorCode": code}
    if path:
        detail_obj["o:errorPath"] = path
    body = {"type": "https://www.rfc-editor.org/rfc/rfc9110.html", "title": "t", "status": status}
    body["o:errorDetails"] = [detail_obj]
    return status, {"Content-Type": "application/vnd.oracle.resource+json"}, json.dumps(body).encode()


def ok_json(body: Any) -> Answer:
    return 200, {"Content-Type": "application/json"}, json.dumps(body).encode()


@pytest.fixture
def server() -> Iterator[tuple[Canned, str]]:
    canned = Canned()

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(
                self.command, url.path, parse_qs(url.query), dict(self.headers), self.rfile.read(length)
            )
            canned.seen.append(seen)
            status, headers, body = canned.answer(seen)
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_PUT = do_POST = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield canned, f"http://127.0.0.1:{httpd.server_address[1]}"
    canned.release.set()
    httpd.shutdown()
    httpd.server_close()


def make_settings(base_url: str, **extra: Any) -> NetSuiteSettings:
    return NetSuiteSettings(
        netsuite_account_id="1234567_SB1",
        netsuite_consumer_key="ck-key-1",
        netsuite_consumer_secret="cs-secret-XYZ",
        netsuite_token_id="tok-id-1",
        netsuite_token_secret="ts-secret-XYZ",
        netsuite_base_url=base_url,
        netsuite_allow_http=True,  # the local test server
        **extra,
    )


@pytest.fixture
def client(server: tuple[Canned, str]) -> Iterator[NetSuiteClient]:
    c = NetSuiteClient(make_settings(server[1]), Governor(4))
    yield c
    c.close()


@pytest.mark.parametrize(
    ("answer", "error", "code", "path"),
    [
        (
            ns_error(400, "USER_ERROR", "Invalid value", "item.items[2]"),
            Rejected,
            "USER_ERROR",
            "item.items[2]",
        ),
        (ns_error(401, "INVALID_LOGIN", "Invalid login attempt."), AuthFailure, "INVALID_LOGIN", None),
        (ns_error(403, "INSUFFICIENT_PERMISSION", "No."), AuthFailure, "INSUFFICIENT_PERMISSION", None),
        (ns_error(404, "NONEXISTENT_ID", "Not there."), NotFound, "NONEXISTENT_ID", None),
        (ns_error(409, "CONFLICT", "Conflict."), Rejected, "CONFLICT", None),
        (
            ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Blocked."),
            Throttled,
            "CONCURRENCY_LIMIT_EXCEEDED",
            None,
        ),
        (ns_error(429, None), Throttled, None, None),
        (
            ns_error(400, "CONCURRENCY_LIMIT_EXCEEDED", "Blocked."),
            Throttled,
            "CONCURRENCY_LIMIT_EXCEEDED",
            None,
        ),
        (
            ns_error(401, "CONCURRENCY_LIMIT_EXCEEDED", "Blocked."),
            Throttled,
            "CONCURRENCY_LIMIT_EXCEEDED",
            None,
        ),
        # 400 decided by o:errorCode: "try again" codes are retried, only validation is Rejected
        (
            ns_error(400, "RCRD_HAS_BEEN_CHANGED", "Record has been changed"),
            TryAgain,
            "RCRD_HAS_BEEN_CHANGED",
            None,
        ),
        (ns_error(400, "DUP_ENTITY", "This entity already exists."), TryAgain, "DUP_ENTITY", None),
        (ns_error(400, "DUP_RCRD", "This record already exists."), TryAgain, "DUP_RCRD", None),
        (
            ns_error(400, "UNEXPECTED_ERROR", "An unexpected error occurred."),
            TryAgain,
            "UNEXPECTED_ERROR",
            None,
        ),
        # the account's request limits are shared, as a 429 is: parked, never "exhausted" (audit, 2026-12-03)
        *(
            (ns_error(400, code, "Limit."), Throttled, code, None)
            for code in ("SSS_REQUEST_LIMIT_EXCEEDED", "REQUEST_LIMIT_EXCEEDED", "WS_CONCUR_SESSION_DISALLWD")
        ),
        (ns_error(404, "RCRD_HAS_BEEN_CHANGED", "?"), NotFound, "RCRD_HAS_BEEN_CHANGED", None),
        (ns_error(500, "UNEXPECTED_ERROR", "Oops."), Transient, "UNEXPECTED_ERROR", None),
        (ns_error(503, "UNEXPECTED_ERROR", "Oops."), Transient, "UNEXPECTED_ERROR", None),
        ((502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>"), Transient, None, None),
        ((400, {}, b"not json at all"), Rejected, None, None),
        ((401, {}, b""), AuthFailure, None, None),
        ((302, {"Location": "https://elsewhere/"}, b""), Transient, None, None),
    ],
)
def test_status_maps_to_typed_error(
    server: tuple[Canned, str],
    client: NetSuiteClient,
    answer: Answer,
    error: type[SyncError],
    code: str | None,
    path: str | None,
) -> None:
    canned, _ = server
    canned.answer = lambda seen: answer
    with pytest.raises(error) as caught:
        client.upsert("customer", "WOO_CUST_1", {"firstName": "A"})
    assert type(caught.value) is error
    assert (caught.value.status, caught.value.error_code, caught.value.path) == (answer[0], code, path)
    assert caught.value.message.startswith("upsert:customer: ")


def test_rejected_message_is_netsuites_detail(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    server[0].answer = lambda seen: ns_error(
        400, "USER_ERROR", "Invalid value for field zip", "shippingAddress"
    )
    with pytest.raises(Rejected, match="Invalid value for field zip"):
        client.upsert("salesOrder", "WOO_ORDER_1", {})


def test_suiteql_bad_query_param_is_the_path(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    body = {"status": 400, "o:errorDetails": [{"detail": "bad", "o:errorCode": "INVALID_PARAMETER"}]}
    body["o:errorDetails"][0]["o:errorQueryParam"] = "q"  # type: ignore[index]
    server[0].answer = lambda seen: (400, {}, json.dumps(body).encode())
    with pytest.raises(Rejected) as caught:
        list(client.suiteql("SELEC nonsense"))
    assert (caught.value.error_code, caught.value.path) == ("INVALID_PARAMETER", "q")


def test_get_returns_none_on_404_and_the_record_otherwise(
    server: tuple[Canned, str], client: NetSuiteClient
) -> None:
    canned, _ = server
    canned.answer = lambda seen: ns_error(404, "NONEXISTENT_ID", "gone")
    assert client.get("salesOrder", external_id="WOO_ORDER_9") is None
    canned.answer = lambda seen: ok_json({"id": "77", "links": []})
    record = client.get("salesOrder", internal_id="77", expand_sub_resources=True, fields=["id", "memo"])
    assert record == {"id": "77", "links": []}
    assert [s.path for s in canned.seen] == [
        "/services/rest/record/v1/salesOrder/eid:WOO_ORDER_9",
        "/services/rest/record/v1/salesOrder/77",
    ]
    assert canned.seen[1].query == {"expandSubResources": ["true"], "fields": ["id,memo"]}


def test_get_raises_other_errors(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    server[0].answer = lambda seen: ns_error(503, "UNEXPECTED_ERROR")
    with pytest.raises(Transient):
        client.get("salesOrder", external_id="WOO_ORDER_9")


def test_upsert_request_shape_and_location_id(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    canned, base = server
    canned.answer = lambda seen: (204, {"Location": f"{base}/services/rest/record/v1/salesOrder/647"}, b"")
    body = {"externalId": "WOO_ORDER_5", "item": {"items": [{"item": {"id": "1"}, "quantity": 1}]}}
    assert client.upsert("salesOrder", "WOO_ORDER_5", body, replace=["item"]) == "647"
    assert client.upsert("salesOrder", "WOO_ORDER_5", body, replace=["item"]) == "647"
    first, second = canned.seen
    assert (first.method, first.path) == ("PUT", "/services/rest/record/v1/salesOrder/eid:WOO_ORDER_5")
    assert first.query == {"replace": ["item"]}
    assert json.loads(first.body) == body
    assert first.headers["Content-Type"] == "application/json"
    assert first.headers["Accept"] == "application/json"
    assert first.headers["X-NetSuite-PropertyNameValidation"] == "Error"
    auth = first.headers["Authorization"]
    assert auth.startswith('OAuth realm="1234567_SB1"')
    assert 'oauth_signature_method="HMAC-SHA256"' in auth
    assert 'oauth_token="tok-id-1"' in auth
    assert 'oauth_consumer_key="ck-key-1"' in auth

    def nonce(seen: Seen) -> str:
        return seen.headers["Authorization"].split('oauth_nonce="')[1].split('"')[0]

    assert nonce(first) != nonce(second)  # every request signed afresh


def test_property_name_validation_can_be_switched_off(server: tuple[Canned, str]) -> None:
    canned, base = server
    canned.answer = lambda seen: (204, {"Location": "/services/rest/record/v1/customer/3"}, b"")
    client = NetSuiteClient(make_settings(base), property_name_validation=False)
    assert client.upsert("customer", "WOO_CUST_3", {}) == "3"
    assert "X-NetSuite-PropertyNameValidation" not in canned.seen[0].headers


def test_upsert_without_location_falls_back_to_get(
    server: tuple[Canned, str], client: NetSuiteClient
) -> None:
    canned, _ = server
    canned.answer = lambda seen: (204, {}, b"") if seen.method == "PUT" else ok_json({"id": "88"})
    assert client.upsert("customer", "WOO_CUST_8", {"email": "x@example.com"}) == "88"
    get = canned.seen[1]
    assert (get.method, get.path, get.query) == (
        "GET",
        "/services/rest/record/v1/customer/eid:WOO_CUST_8",
        {"fields": ["id"]},
    )


def test_upsert_without_location_and_not_found_is_transient(
    server: tuple[Canned, str], client: NetSuiteClient
) -> None:
    canned, _ = server
    canned.answer = lambda seen: (204, {}, b"") if seen.method == "PUT" else ns_error(404, "NONEXISTENT_ID")
    with pytest.raises(Transient):
        client.upsert("customer", "WOO_CUST_8", {})


@pytest.mark.parametrize("bad", ["WOO_GUEST_a@b.com", "x/../y", "a b", "", "WOO?x=1", "WOO_CUST_1\n"])
def test_unsafe_external_id_never_reaches_the_wire(
    server: tuple[Canned, str], client: NetSuiteClient, bad: str
) -> None:
    with pytest.raises(Unmappable):
        client.upsert("customer", bad, {})
    assert server[0].seen == []


@pytest.mark.parametrize(
    ("record_type", "internal_id"), [("customer\n", "5"), ("salesOrder", "5\n"), ("salesOrder", "\u00b2")]
)
def test_a_record_type_or_internal_id_with_a_trailing_newline_or_unicode_digit_is_refused(
    server: tuple[Canned, str], client: NetSuiteClient, record_type: str, internal_id: str
) -> None:
    with pytest.raises(ValueError, match=r"record type|internal ids"):
        client.get(record_type, internal_id=internal_id)
    assert server[0].seen == []


def test_suiteql_follows_pages(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    canned, _ = server
    rows = [{"links": [], "id": str(i), "itemid": f"S{i}"} for i in range(5)]

    def page(seen: Seen) -> Answer:
        limit, offset = int(seen.query["limit"][0]), int(seen.query["offset"][0])
        items = rows[offset : offset + limit]
        return ok_json({"items": items, "hasMore": offset + limit < len(rows), "count": len(items)})

    canned.answer = page
    assert list(client.suiteql("SELECT id, itemid FROM item", page_size=2)) == [
        {"id": str(i), "itemid": f"S{i}"} for i in range(5)
    ]
    assert [(s.query["limit"][0], s.query["offset"][0]) for s in canned.seen] == [
        ("2", "0"),
        ("2", "2"),
        ("2", "4"),
    ]
    assert all(s.method == "POST" and s.path == "/services/rest/query/v1/suiteql" for s in canned.seen)
    assert all(s.headers["Prefer"] == "transient" for s in canned.seen)
    assert json.loads(canned.seen[0].body) == {"q": "SELECT id, itemid FROM item"}


def test_probe(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    canned, _ = server
    canned.answer = lambda seen: ok_json({"items": [], "count": 0, "hasMore": False})
    client.probe()
    assert (canned.seen[0].method, canned.seen[0].path) == ("GET", "/services/rest/record/v1/customer")
    canned.answer = lambda seen: ns_error(401, "INVALID_LOGIN", "Invalid login attempt.")
    with pytest.raises(AuthFailure):
        client.probe()


def test_read_timeout_is_transient(server: tuple[Canned, str]) -> None:
    canned, base = server

    def hang(seen: Seen) -> Answer:
        canned.release.wait(10)
        return 204, {}, b""

    canned.answer = hang
    client = NetSuiteClient(make_settings(base, netsuite_read_timeout_s=0.2))
    before = REGISTRY.get_sample_value(
        "woo_netsuite_request_seconds_count", {"operation": "probe", "status": "timeout"}
    )
    with pytest.raises(Transient, match="timed out"):
        client.probe()
    after = REGISTRY.get_sample_value(
        "woo_netsuite_request_seconds_count", {"operation": "probe", "status": "timeout"}
    )
    assert after == (before or 0) + 1
    assert client.governor.in_flight == 0


def test_connection_refused_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = NetSuiteClient(make_settings(f"http://127.0.0.1:{port}"))
    with pytest.raises(Transient):
        client.probe()
    assert client.governor.in_flight == 0


def test_throttle_feeds_governor_and_counter(server: tuple[Canned, str]) -> None:
    canned, base = server
    canned.answer = lambda seen: ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Blocked.")
    governor = Governor(8, clock=lambda: 0.0)
    client = NetSuiteClient(make_settings(base), governor)
    before = REGISTRY.get_sample_value("woo_netsuite_throttled_total") or 0
    for _ in range(3):
        with pytest.raises(Throttled):
            client.probe()
    assert REGISTRY.get_sample_value("woo_netsuite_throttled_total") == before + 3
    assert governor.window == 4  # one burst (same instant) halves once
    canned.answer = lambda seen: ok_json({"items": []})
    for _ in range(4):
        client.probe()
    assert governor.window == 5  # additive increase on success
    assert governor.in_flight == 0


def test_a_429_narrows_the_window_before_its_slot_goes_to_the_next_waiter(server: tuple[Canned, str]) -> None:
    """A released slot is handed straight to the oldest waiter at the window it finds: the governor
    must hear of the 429 while the throttled request still holds its slot."""
    canned, base = server
    canned.answer = lambda seen: ns_error(429, "CONCURRENCY_LIMIT_EXCEEDED", "Blocked.")
    governor = Governor(8, clock=lambda: 0.0)
    in_flight_when_told: list[int] = []
    throttled = governor.on_throttled

    def on_throttled() -> None:
        in_flight_when_told.append(governor.in_flight)
        throttled()

    governor.on_throttled = on_throttled  # type: ignore[method-assign]
    with pytest.raises(Throttled):
        NetSuiteClient(make_settings(base), governor).probe()
    assert in_flight_when_told == [1]


def test_metrics_label_operation_and_status(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    labels = {"operation": "upsert:salesOrder", "status": "400"}
    before = REGISTRY.get_sample_value("woo_netsuite_request_seconds_count", labels) or 0
    server[0].answer = lambda seen: ns_error(400, "USER_ERROR", "bad")
    with pytest.raises(Rejected):
        client.upsert("salesOrder", "WOO_ORDER_1", {})
    assert REGISTRY.get_sample_value("woo_netsuite_request_seconds_count", labels) == before + 1


def test_logs_hold_no_detail_body_or_secret(
    server: tuple[Canned, str], client: NetSuiteClient, caplog: pytest.LogCaptureFixture
) -> None:
    canned, _ = server
    canned.answer = lambda seen: ns_error(400, "USER_ERROR", "jane@example.com is not valid", "email")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Rejected):
        client.upsert("customer", "WOO_GUEST_jane-example-com", {"email": "jane@example.com"})
    assert "upsert:customer" in caplog.text
    assert "USER_ERROR" in caplog.text
    for secret in ("jane", "example", "oauth_signature", "OAuth ", "secret-XYZ", "tok-id-1", "ck-key-1"):
        assert secret not in caplog.text, secret


def one_slot_leased(url: str) -> tuple[Governor, NetSuiteClient, Leases, Lease]:
    """A client whose governor has one slot, and the lease of a record of partition ("orders", 0)."""
    governor = Governor(1)
    leases = Leases(threading.Event())
    leases.grant([("orders", 0)])
    return governor, NetSuiteClient(make_settings(url), governor), leases, leases.lease(("orders", 0))


def test_a_record_revoked_while_it_waits_for_a_slot_sends_nothing_and_is_not_waited_for(
    server: tuple[Canned, str],
) -> None:
    """The lease is asked again once the governor slot is held, right before sending: a record that
    queued for a slot while its partition moved on must not write after the new owner. Only a request
    that went out can land after a revoke, so the revoke — the poll thread, the group's rebalance —
    counts and waits for those, not for the records queued behind the window (each would get a slot
    only to pass it on)."""
    from consumer.pipeline.calls import CallRetry
    from consumer.pipeline.lease import GaveUp

    canned, url = server
    governor, client, leases, lease = one_slot_leased(url)
    tp = lease.tp
    outcome: list[BaseException | None] = []

    def worker() -> None:
        try:
            CallRetry().run(lambda: client.get("salesOrder", external_id="WOO_ORDER_1"), lease)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=worker)
    with governor.slot():  # another record holds the only slot
        thread.start()
        deadline = time.monotonic() + 5
        while governor.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        assert governor.waiting == 1  # the record queued for the slot
        leases.revoke([tp])  # the partition moves on while the record waits
        assert leases.calls_on_wire([tp]) == 0
        assert leases.wait_for_calls([tp], 5)  # at once, with the slot still held
    thread.join(5)
    assert [type(e) for e in outcome] == [GaveUp]
    assert canned.seen == []  # nothing went out
    assert governor.in_flight == 0  # and its slot went back
    client.close()


def test_a_request_that_went_out_is_waited_for_by_the_revoke(server: tuple[Canned, str]) -> None:
    """The zombie window's bound: a request on its way or at NetSuite when its partition is revoked
    may still land, so the revoke waits until its answer is read."""
    from consumer.pipeline.calls import CallRetry

    canned, url = server
    arrived, answer = threading.Event(), threading.Event()

    def held(seen: Seen) -> Answer:
        arrived.set()
        assert answer.wait(5)
        return ok_json({"id": "7"})

    canned.answer = held
    governor, client, leases, lease = one_slot_leased(url)
    tp = lease.tp
    outcome: list[object] = []
    thread = threading.Thread(
        target=lambda: outcome.append(CallRetry().run(lambda: client.get("customer", internal_id="7"), lease))
    )
    thread.start()
    assert arrived.wait(5)  # at the server, which holds it
    leases.revoke([tp])
    assert leases.calls_on_wire([tp]) == 1
    assert not leases.wait_for_calls([tp], 0.05)
    answer.set()
    assert leases.wait_for_calls([tp], 5)
    thread.join(5)
    assert outcome == [{"id": "7"}]  # it landed; the record's next step meets the revoke
    assert leases.calls_on_wire([tp]) == 0
    assert governor.in_flight == 0
    client.close()


def test_a_try_again_answer_is_an_answer_not_an_outage(
    server: tuple[Canned, str], client: NetSuiteClient
) -> None:
    """NetSuite answered: the outage breaker hears an answer, the governor a success."""
    heard: list[str] = []

    class Health:
        def on_answer(self) -> None:
            heard.append("answer")

        def on_failure(self) -> None:
            heard.append("failure")

    client.observe(Health())
    server[0].answer = lambda seen: ns_error(400, "RCRD_HAS_BEEN_CHANGED", "Record has been changed")
    with pytest.raises(TryAgain):
        client.upsert("customer", "WOO_CUST_1", {})
    assert heard == ["answer"]


def test_update_patches_by_internal_id(server: tuple[Canned, str], client: NetSuiteClient) -> None:
    client.update("salesOrder", "20001", {"custbody_woo_tax_variance": 0.01})
    (seen,) = server[0].seen
    assert (seen.method, seen.path) == ("PATCH", "/services/rest/record/v1/salesOrder/20001")
    assert json.loads(seen.body) == {"custbody_woo_tax_variance": 0.01}
    assert seen.headers["X-NetSuite-PropertyNameValidation"] == "Error"
