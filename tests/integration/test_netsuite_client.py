"""NetSuiteClient, Governor and ItemResolver against the NetSuite simulator (no broker needed).

The client talks to the simulator exactly as to NetSuite: only the base URL differs. Assertions read
the simulator's own counters and records, never the client's view of them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from consumer.errors import AuthFailure, Rejected, Throttled, Transient
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.governor import Governor
from consumer.netsuite.items import ItemResolver
from consumer.netsuite.settings import NetSuiteSettings
from devstack.netsuite_sim import Faults, NetSuiteSimulator, SimulatorConfig

LIMIT = 5
WAIT = 30.0


@pytest.fixture(scope="module")
def module_sim() -> Iterator[NetSuiteSimulator]:
    sim = NetSuiteSimulator(SimulatorConfig(concurrency_limit=LIMIT)).start()
    yield sim
    sim.stop()


@pytest.fixture
def sim(module_sim: NetSuiteSimulator) -> NetSuiteSimulator:
    module_sim.reset()
    return module_sim


def settings_for(sim: NetSuiteSimulator, **overrides: Any) -> NetSuiteSettings:
    values: dict[str, Any] = {key.lower(): value for key, value in sim.credentials().items()}
    values["netsuite_concurrency"] = LIMIT
    values.update(overrides)
    return NetSuiteSettings(**values)


@pytest.fixture
def client(sim: NetSuiteSimulator) -> Iterator[NetSuiteClient]:
    c = NetSuiteClient(settings_for(sim))
    yield c
    c.close()


def customer_body(n: int) -> dict[str, Any]:
    return {"isPerson": True, "firstName": "Ada", "lastName": f"Lovelace{n}", "email": f"ada{n}@example.com"}


def order_body(customer_id: str, lines: list[tuple[str, int, float]]) -> dict[str, Any]:
    return {
        "entity": {"id": customer_id},
        "tranDate": "2024-05-01",
        "otherRefNum": "1234",
        "memo": "WooCommerce Order #1234",
        "item": {
            "items": [
                {"item": {"id": item}, "quantity": qty, "rate": rate, "amount": round(qty * rate, 2)}
                for item, qty, rate in lines
            ]
        },
    }


def test_signed_requests_pass(sim: NetSuiteSimulator, client: NetSuiteClient) -> None:
    client.probe()
    assert client.get("salesOrder", external_id="WOO_ORDER_404") is None
    stats = sim.stats()
    assert stats["auth_failures"] == 0
    assert stats["by_status"] == {200: 1, 404: 1}


def test_wrong_token_secret_is_auth_failure(sim: NetSuiteSimulator) -> None:
    bad = NetSuiteClient(settings_for(sim, netsuite_token_secret="not-the-secret"))
    with pytest.raises(AuthFailure) as caught:
        bad.probe()
    assert (caught.value.status, caught.value.error_code) == (401, "INVALID_LOGIN")
    assert sim.stats()["auth_failures"] == 1


def test_upsert_twice_with_replace_leaves_one_order_with_the_right_lines(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    customer_id = client.upsert("customer", "WOO_CUST_1", customer_body(1))
    assert customer_id == client.upsert("customer", "WOO_CUST_1", customer_body(1))
    coffee, mug = sim.item_id("COF-1KG"), sim.item_id("MUG-RED")
    body = order_body(customer_id, [(coffee, 2, 12.5), (mug, 1, 8.0)])
    first = client.upsert("salesOrder", "WOO_ORDER_1234", body, replace=["item"])
    body = order_body(customer_id, [(coffee, 3, 12.5), (mug, 1, 8.0)])  # a newer version
    second = client.upsert("salesOrder", "WOO_ORDER_1234", body, replace=["item"])
    assert first == second
    orders = sim.records("salesOrder")
    assert len(orders) == 1
    assert orders[0]["externalId"] == "WOO_ORDER_1234"
    assert str(orders[0]["id"]) == first
    lines = [(line["item"]["id"], line["quantity"]) for line in orders[0]["item"]["items"]]
    assert [(str(i), q) for i, q in lines] == [(coffee, 3), (mug, 1)]
    assert len(sim.records("customer")) == 1
    fetched = client.get("salesOrder", internal_id=first, expand_sub_resources=True)
    assert fetched is not None
    assert len(fetched["item"]["items"]) == 2


def test_without_replace_netsuite_appends_lines(sim: NetSuiteSimulator, client: NetSuiteClient) -> None:
    """The control for the test above: the simulator really merges, so `replace` is what saves us."""
    customer_id = client.upsert("customer", "WOO_CUST_2", customer_body(2))
    body = order_body(customer_id, [(sim.item_id("COF-1KG"), 1, 12.5)])
    client.upsert("salesOrder", "WOO_ORDER_2", body)
    client.upsert("salesOrder", "WOO_ORDER_2", body)
    assert len(sim.records("salesOrder")[0]["item"]["items"]) == 2


def test_bad_reference_is_rejected_with_path(sim: NetSuiteSimulator, client: NetSuiteClient) -> None:
    customer_id = client.upsert("customer", "WOO_CUST_3", customer_body(3))
    body = order_body(customer_id, [(sim.item_id("COF-1KG"), 1, 1.0), ("999999", 1, 1.0)])
    with pytest.raises(Rejected) as caught:
        client.upsert("salesOrder", "WOO_ORDER_3", body, replace=["item"])
    assert (caught.value.status, caught.value.error_code) == (400, "USER_ERROR")
    assert caught.value.path == "item.items[1].item"
    assert sim.records("salesOrder") == []


def test_unknown_property_fails_loudly(sim: NetSuiteSimulator, client: NetSuiteClient) -> None:
    body = {**customer_body(4), "firstNmae": "typo"}
    with pytest.raises(Rejected) as caught:
        client.upsert("customer", "WOO_CUST_4", body)
    assert caught.value.path == "firstNmae"
    lenient = NetSuiteClient(settings_for(sim), property_name_validation=False)
    assert lenient.upsert("customer", "WOO_CUST_4", body)


def test_throttle_surfaces_as_throttled(sim: NetSuiteSimulator) -> None:
    governor = Governor(LIMIT)
    client = NetSuiteClient(settings_for(sim), governor)
    sim.set_faults(Faults(throttle_next_n=1))
    with pytest.raises(Throttled) as caught:
        client.probe()
    assert (caught.value.status, caught.value.error_code) == (429, "CONCURRENCY_LIMIT_EXCEEDED")
    assert governor.window == LIMIT // 2
    client.probe()  # the next one goes through


@pytest.mark.parametrize("faults", [Faults(error_rate=1.0), Faults(outage=True)])
def test_server_errors_surface_as_transient(
    sim: NetSuiteSimulator, client: NetSuiteClient, faults: Faults
) -> None:
    sim.set_faults(faults)
    with pytest.raises(Transient) as caught:
        client.upsert("customer", "WOO_CUST_5", customer_body(5))
    assert caught.value.status == 503
    assert caught.value.error_code == "UNEXPECTED_ERROR"


def test_timeout_surfaces_as_transient() -> None:
    # Its own simulator: the hung request keeps a server-side slot until the simulator stops.
    with NetSuiteSimulator(SimulatorConfig(concurrency_limit=LIMIT)) as own:
        client = NetSuiteClient(settings_for(own, netsuite_read_timeout_s=0.3))
        own.set_faults(Faults(timeout_rate=1.0, hang_s=10.0))
        with pytest.raises(Transient, match="timed out"):
            client.probe()
        assert client.governor.in_flight == 0
        assert own.stats()["injected_timeouts"] == 1


def test_sku_resolution_against_seeded_items(sim: NetSuiteSimulator, client: NetSuiteClient) -> None:
    added = sim.add_items([{"type": "inventoryItem", "itemId": "O'BRIEN-TEA"}])
    resolver = ItemResolver(client, ttl_s=60)
    skus = ["COF-1KG", "MUG-RED", "O'BRIEN-TEA", "NO-SUCH-SKU", "x') OR ('1'='1"]
    assert resolver.resolve(skus) == {
        "COF-1KG": sim.item_id("COF-1KG"),
        "MUG-RED": sim.item_id("MUG-RED"),
        "O'BRIEN-TEA": added["O'BRIEN-TEA"],
    }
    requests_before = sim.stats()["requests"]
    resolver.resolve(skus)  # all cached, unknown ones negatively
    assert sim.stats()["requests"] == requests_before


def test_suiteql_pages(sim: NetSuiteSimulator, client: NetSuiteClient) -> None:
    rows = list(client.suiteql("SELECT id, itemid FROM item ORDER BY id", page_size=3))
    assert len(rows) >= 10
    assert [row["itemid"] for row in rows][:2] == ["COF-1KG", "COF-250G"]
    assert all("links" not in row for row in rows)
    assert sim.stats()["requests"] == -(-len(rows) // 3)


def _hammer(sim: NetSuiteSimulator, governor: Governor, threads: int, per_thread: int) -> dict[str, Any]:
    assert sim.stats()["in_flight"] == 0  # no slot held by an earlier test's hung request
    client = NetSuiteClient(settings_for(sim), governor)
    sim.set_faults(Faults(latency_ms=20))
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker() -> None:
        start.wait(WAIT)
        for _ in range(per_thread):
            try:
                client.get("salesOrder", external_id="WOO_ORDER_1")
            except Throttled as exc:
                errors.append(exc)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(WAIT)
    client.close()
    stats = sim.stats()
    stats["client_throttled"] = len(errors)
    return stats


def test_governor_keeps_twenty_threads_under_the_account_limit(sim: NetSuiteSimulator) -> None:
    stats = _hammer(sim, Governor(LIMIT), threads=20, per_thread=5)
    assert stats["requests"] == 100
    assert stats["max_in_flight"] <= LIMIT
    assert stats["throttled"] == 0
    assert stats["client_throttled"] == 0


def test_without_the_right_limit_the_simulator_throttles(sim: NetSuiteSimulator) -> None:
    """Control: the same load with a governor that allows 20 does hit the account's limit."""
    stats = _hammer(sim, Governor(20), threads=20, per_thread=5)
    assert stats["throttled"] > 0
    assert stats["max_in_flight"] == LIMIT
