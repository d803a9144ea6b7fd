"""The simulator's Token-Based Authentication: what a correct client passes, everything else is 401."""

from __future__ import annotations

import time

import pytest
import requests

from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from tests.unit.netsuite_sim_support import error_detail, record_url, signed_session


@pytest.fixture(scope="module")
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(account_id="1234567_SB1")


def assert_invalid_login(resp: requests.Response) -> None:
    assert resp.status_code == 401
    detail = error_detail(resp)
    assert detail["o:errorCode"] == "INVALID_LOGIN"
    assert detail["detail"].startswith("Invalid login attempt.")
    assert "Retry-After" not in resp.headers


def test_correctly_signed_request_passes(sim: NetSuiteSimulator) -> None:
    resp = signed_session(sim).get(record_url(sim, "customer"), params={"limit": "1"})
    assert resp.status_code == 200
    assert sim.stats()["auth_failures"] == 0


@pytest.mark.parametrize(
    "override",
    [
        {"client_secret": "wrong-consumer-secret"},
        {"resource_owner_secret": "wrong-token-secret"},
        {"client_key": "unknown-consumer"},
        {"resource_owner_key": "unknown-token"},
        {"realm": "1234567_sb1"},  # the realm keeps the account id's case
        {"signature_method": "HMAC-SHA1"},
        {"timestamp": str(int(time.time()) - 3600)},  # outside the 300 s window
    ],
    ids=lambda o: next(iter(o)),
)
def test_wrong_credentials_or_stale_signature_get_invalid_login(
    sim: NetSuiteSimulator, override: dict[str, str]
) -> None:
    resp = signed_session(sim, **override).get(record_url(sim, "customer"))
    assert_invalid_login(resp)
    assert sim.stats()["auth_failures"] == 1
    assert sim.stats()["by_status"] == {401: 1}


def test_missing_authorization_header_is_invalid_login(sim: NetSuiteSimulator) -> None:
    assert_invalid_login(requests.get(record_url(sim, "customer"), timeout=5))


def test_replayed_request_is_refused(sim: NetSuiteSimulator) -> None:
    session = signed_session(sim)
    prepared = session.prepare_request(requests.Request("GET", record_url(sim, "customer")))
    assert session.send(prepared).status_code == 200
    assert_invalid_login(session.send(prepared))


def test_nonce_reuse_across_different_requests_is_refused(sim: NetSuiteSimulator) -> None:
    session = signed_session(sim, nonce="fixed-nonce-123456")
    assert session.get(record_url(sim, "customer")).status_code == 200
    assert_invalid_login(session.get(record_url(sim, "salesOrder")))


def test_query_string_is_signed(sim: NetSuiteSimulator) -> None:
    session = signed_session(sim)
    url = record_url(sim, "customer")
    prepared = session.prepare_request(requests.Request("GET", url, params={"q": 'externalId IS "a"'}))
    prepared.url = prepared.url.replace("%22a%22", "%22b%22")  # type: ignore[union-attr]
    assert_invalid_login(session.send(prepared))


def test_json_body_is_not_signed_and_path_is(sim: NetSuiteSimulator) -> None:
    session = signed_session(sim)
    prepared = session.prepare_request(
        requests.Request("GET", record_url(sim, "customer"), params={"limit": "1"})
    )
    prepared.url = prepared.url.replace("/customer", "/salesOrder")  # type: ignore[union-attr]
    assert_invalid_login(session.send(prepared))


def test_auth_is_checked_before_the_query_is_read(sim: NetSuiteSimulator) -> None:
    resp = signed_session(sim, client_secret="nope").get(record_url(sim, "customer"), params={"q": "((("})
    assert_invalid_login(resp)


def test_admin_endpoints_need_no_auth_and_are_not_counted(sim: NetSuiteSimulator) -> None:
    resp = requests.get(f"{sim.base_url}/__sim/stats", timeout=5)
    assert resp.status_code == 200
    assert resp.json()["requests"] == 0
    assert sim.stats()["auth_failures"] == 0
