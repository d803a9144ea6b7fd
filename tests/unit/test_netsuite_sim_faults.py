"""The simulator's concurrency governor and injected faults, asserted on counters, not on timing."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests

from devstack.netsuite_sim import Faults, NetSuiteSimulator, SimulatorConfig
from tests.unit.netsuite_sim_support import error_detail, new_customer, order_body, record_url, signed_session


@pytest.fixture(scope="module")
def sim_config() -> SimulatorConfig:
    return SimulatorConfig(concurrency_limit=3, seed=7)


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    """Poll a counter until it holds (bounded): synchronisation, not a guess at durations."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.005)


def statuses(sim: NetSuiteSimulator, session: requests.Session, n: int) -> list[int]:
    return [session.get(record_url(sim, "customer"), params={"limit": "1"}).status_code for _ in range(n)]


def test_requests_over_the_limit_get_429_at_once(sim: NetSuiteSimulator) -> None:
    sim.set_faults(Faults(latency_ms=800))
    holders = [signed_session(sim) for _ in range(3)]
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda s=s: results.append(s.get(record_url(sim, "customer")).status_code))
        for s in holders
    ]
    for thread in threads:
        thread.start()
    wait_until(lambda: sim.stats()["in_flight"] == 3)
    with signed_session(sim) as extra:
        resp = extra.get(record_url(sim, "customer"))
    assert resp.status_code == 429
    detail = error_detail(resp)
    assert detail == {
        "detail": "Concurrent request limit exceeded. Request blocked.",
        "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
    }
    assert "Retry-After" not in resp.headers
    for thread in threads:
        thread.join()
    assert results == [200, 200, 200]
    stats = sim.stats()
    assert (stats["throttled"], stats["max_in_flight"], stats["in_flight"]) == (1, 3, 0)


def test_many_concurrent_clients_never_exceed_the_limit(sim: NetSuiteSimulator) -> None:
    sim.set_faults(Faults(latency_ms=500))
    n = 10
    sessions = [signed_session(sim) for _ in range(n)]
    for s in sessions:  # open each connection first, so the barrier releases requests, not handshakes
        s.get(f"{sim.base_url}/__sim/stats")
    barrier = threading.Barrier(n)
    results: list[int] = []
    lock = threading.Lock()

    def client(s: requests.Session) -> None:
        barrier.wait()
        code = s.get(record_url(sim, "customer")).status_code
        with lock:
            results.append(code)

    threads = [threading.Thread(target=client, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(results)
    stats = sim.stats()
    assert set(counts) == {200, 429}
    assert counts[200] >= 1
    assert counts[429] >= 1
    assert stats["max_in_flight"] <= 3
    assert stats["throttled"] == counts[429]
    assert stats["by_status"] == dict(sorted(counts.items()))


def test_error_rate_gives_roughly_that_share_of_503s(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    sim.set_faults(Faults(error_rate=0.3))
    codes = Counter(statuses(sim, session, 200))
    assert set(codes) == {200, 503}
    assert 40 <= codes[503] <= 80
    assert sim.stats()["injected_errors"] == codes[503]


def test_throttle_rate_gives_roughly_that_share_of_429s(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    sim.set_faults(Faults(throttle_rate=0.1))
    codes = Counter(statuses(sim, session, 200))
    assert 8 <= codes[429] <= 35
    assert sim.stats()["throttled"] == codes[429]
    assert sim.stats()["max_in_flight"] == 1


def test_same_seed_same_faults(sim: NetSuiteSimulator, session: requests.Session) -> None:
    faults = Faults(error_rate=0.2, throttle_rate=0.2)
    sim.set_faults(faults)
    first = statuses(sim, session, 60)
    sim.reset()
    sim.set_faults(faults)
    assert statuses(sim, session, 60) == first


def test_throttle_next_n_is_an_exact_burst(sim: NetSuiteSimulator, session: requests.Session) -> None:
    sim.set_faults(Faults(throttle_next_n=3))
    assert statuses(sim, session, 5) == [429, 429, 429, 200, 200]


def test_outage_on_and_off(sim: NetSuiteSimulator, session: requests.Session) -> None:
    requests.post(f"{sim.base_url}/__sim/faults", json={"outage": True}, timeout=5).raise_for_status()
    resp = session.get(record_url(sim, "customer"))
    assert resp.status_code == 503
    assert error_detail(resp)["o:errorCode"] == "UNEXPECTED_ERROR"
    assert requests.get(f"{sim.base_url}/__sim/stats", timeout=5).json()["outage_rejections"] == 1
    requests.post(f"{sim.base_url}/__sim/faults", json={}, timeout=5).raise_for_status()
    assert statuses(sim, session, 1) == [200]
    sim.set_faults(Faults(outage_s=60))
    assert statuses(sim, session, 1) == [503]
    sim.set_faults(Faults(outage_s=0))
    assert statuses(sim, session, 1) == [200]


def test_failing_paths_fail_one_record_while_the_account_answers(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    requests.post(
        f"{sim.base_url}/__sim/faults", json={"failing_paths": ["eid:BROKEN"]}, timeout=5
    ).raise_for_status()
    broken = session.get(f"{record_url(sim, 'customer')}/eid:BROKEN")
    assert (broken.status_code, error_detail(broken)["o:errorCode"]) == (503, "UNEXPECTED_ERROR")
    assert statuses(sim, session, 2) == [200, 200]  # the account, and a probe, still answer
    assert sim.faults == Faults(failing_paths=("eid:BROKEN",))
    sim.set_faults(Faults())
    assert session.get(f"{record_url(sim, 'customer')}/eid:BROKEN").status_code == 404


def test_failure_after_commit_then_retry_with_replace_writes_once(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    customer = new_customer(sim, session)
    body = order_body(customer, [sim.item_id("COF-1KG")])
    url = record_url(sim, "salesOrder/eid:WOO_ORDER_1")
    sim.set_faults(Faults(fail_after_commit_next_n=1))
    assert session.put(url, json=body, params={"replace": "item"}).status_code == 503
    assert len(sim.records("salesOrder")) == 1  # written although the client saw a failure
    assert session.put(url, json=body, params={"replace": "item"}).status_code == 204
    (order,) = sim.records("salesOrder")
    assert len(order["item"]["items"]) == 1
    assert sim.stats()["failed_after_commit"] == 1


def test_timeout_drops_the_connection_without_an_answer(
    sim: NetSuiteSimulator, session: requests.Session
) -> None:
    sim.set_faults(Faults(timeout_rate=1.0, hang_s=0.05))
    with pytest.raises(requests.ConnectionError):
        session.get(record_url(sim, "customer"))
    sim.set_faults(Faults(fail_after_commit_next_n=1, fail_after_commit_mode="timeout", hang_s=0.05))
    with pytest.raises(requests.ConnectionError):
        new_customer(sim, session, "WOO_CUST_T")
    assert len(sim.records("customer")) == 1
    stats = sim.stats()
    assert (stats["injected_timeouts"], stats["failed_after_commit"], stats["in_flight"]) == (1, 1, 0)


def test_hang_holds_the_slot_until_the_client_read_timeout() -> None:
    faults = Faults(timeout_rate=1.0, hang_s=30)
    with (
        NetSuiteSimulator(SimulatorConfig(concurrency_limit=1, faults=faults)) as own,
        signed_session(own) as s,
    ):
        with pytest.raises(requests.ReadTimeout):
            s.get(record_url(own, "customer"), timeout=(5, 0.2))
        assert own.stats()["in_flight"] == 1  # NetSuite still works on it: the slot stays taken
        own.set_faults(Faults())
        assert s.get(record_url(own, "customer")).status_code == 429
    # stop() woke the hung request instead of waiting 30 s for it


def test_admin_faults_endpoint_validates_and_round_trips(sim: NetSuiteSimulator) -> None:
    admin = f"{sim.base_url}/__sim/faults"
    assert requests.post(admin, json={"error_rate": 2}, timeout=5).status_code == 400
    assert requests.post(admin, json={"no_such_fault": 1}, timeout=5).status_code == 400
    assert requests.post(admin, json={"latency_ms": 5, "throttle_rate": 0.5}, timeout=5).status_code == 200
    assert requests.get(admin, timeout=5).json()["throttle_rate"] == 0.5
    assert sim.faults == Faults(latency_ms=5, throttle_rate=0.5)


def test_admin_records_items_and_reset(sim: NetSuiteSimulator, session: requests.Session) -> None:
    new_customer(sim, session)
    base = f"{sim.base_url}/__sim"
    assert requests.get(f"{base}/stats", timeout=5).json()["records"]["customer"] == 1
    (record,) = requests.get(f"{base}/records/customer", timeout=5).json()["items"]
    assert record["externalId"] == "WOO_CUST_1"
    ids = requests.post(f"{base}/items", json={"items": [{"itemId": "NEW-SKU"}]}, timeout=5).json()["ids"]
    assert sim.item_id("NEW-SKU") == ids["NEW-SKU"]
    assert requests.post(f"{base}/reset", timeout=5).status_code == 200
    assert sim.records("customer") == []
    with pytest.raises(KeyError):
        sim.item_id("NEW-SKU")


def test_busy_seconds_add_up_how_long_admitted_requests_held_their_slots(sim: NetSuiteSimulator) -> None:
    """The account's own time per call (bench.consumer's ceiling at NetSuite's time per call): at
    least the latency each admitted request waited, never more than the requests took end to end;
    a request refused before admission (401) holds no slot."""
    sim.set_faults(Faults(latency_ms=60))
    before = sim.stats()["busy_seconds"]
    with signed_session(sim) as session:
        started = time.perf_counter()
        assert statuses(sim, session, 2) == [200, 200]
        elapsed = time.perf_counter() - started
    busy = sim.stats()["busy_seconds"] - before
    assert 2 * 0.060 <= busy <= elapsed
    assert requests.get(record_url(sim, "customer"), timeout=5).status_code == 401
    assert sim.stats()["busy_seconds"] - before == busy
    sim.reset()
    assert sim.stats()["busy_seconds"] == 0.0
