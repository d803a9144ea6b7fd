"""The order writer against the simulator where NetSuite disagrees with naive integrations: concurrent
creates and updates, currencies, customer policies, stale and matrix items, mandatory fields.

No broker: the writer is driven directly, as a member's worker would (each `OrderWriter` stands for
one member, with its own memory). Each is a case the code before issue 11 got wrong.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from prometheus_client import REGISTRY

from consumer.errors import Rejected, Unmappable
from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.currency import CurrencyResolver
from consumer.netsuite.items import ItemResolver
from consumer.netsuite.policy import MappingPolicy, WriterPolicy
from consumer.netsuite.settings import NetSuiteSettings
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.sync import OrderWriter
from devstack.demo_orders import CATALOGUE, OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from schemas.order import OrderEvent, WooOrder
from tests.unit.netsuite_sim_support import record_url, signed_session


def client_for(sim: NetSuiteSimulator) -> NetSuiteClient:
    return NetSuiteClient(NetSuiteSettings(**{k.lower(): v for k, v in sim.env().items()}))  # type: ignore[arg-type]


def policy_for(sim: NetSuiteSimulator, **changes: Any) -> MappingPolicy:
    ids = sim.special_item_ids()
    base = MappingPolicy(
        shipping_item_id=ids["NETSUITE_SHIPPING_ITEM_ID"],
        discount_item_id=ids["NETSUITE_DISCOUNT_ITEM_ID"],
        fee_item_id=ids["NETSUITE_FEE_ITEM_ID"],
        rounding_item_id=ids["NETSUITE_ROUNDING_ITEM_ID"],
        tax_code_map={"1": "11", "default": "11"},
    )
    return replace(base, **changes)


def writer_for(
    sim: NetSuiteSimulator, client: NetSuiteClient, writer_policy: WriterPolicy | None = None, **changes: Any
) -> OrderWriter:
    lookup = changes.pop("lookup_field", "itemid")
    return OrderWriter(
        client,
        ItemResolver(client, ttl_s=3600, negative_ttl_s=0, lookup_field=lookup),
        policy_for(sim, **changes),
        calls=CallRetry(sleep=lambda s: None),
        currencies=CurrencyResolver(client, ttl_s=3600),
        writer_policy=writer_policy or WriterPolicy(),
    )


def event(payload: dict[str, Any], **changes: Any) -> OrderEvent:
    return OrderEvent(order=WooOrder.model_validate({**payload, **changes}), webhook_topic="order.created")


@pytest.fixture(scope="module")
def module_sim() -> Iterator[NetSuiteSimulator]:
    with NetSuiteSimulator() as running:
        yield running


@pytest.fixture
def sim(module_sim: NetSuiteSimulator) -> NetSuiteSimulator:
    module_sim.reset()
    return module_sim


@pytest.fixture
def client(sim: NetSuiteSimulator) -> Iterator[NetSuiteClient]:
    c = client_for(sim)
    yield c
    c.close()


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_two_orders_of_one_new_customer_written_at_once_by_two_members_both_land() -> None:
    """NetSuite answers the loser of the race DUP_ENTITY (create) or RCRD_HAS_BEEN_CHANGED (update):
    retried, never dead-lettered. Before issue 11 the 400 was Rejected and the order dead-lettered."""
    with NetSuiteSimulator(SimulatorConfig(save_window_s=0.3)) as racy:
        factory = OrderFactory(seed=5, repeat_customers=0)
        first = factory.order(1)
        second = {
            **factory.order(2),
            "customer_id": first["customer_id"],
            "date_created_gmt": "2026-11-01T00:02:00",
        }
        clients = [client_for(racy), client_for(racy)]
        members = [writer_for(racy, c) for c in clients]
        outcomes: list[Outcome] = []
        start = threading.Barrier(2)

        def run(member: OrderWriter, payload: dict[str, Any]) -> None:
            start.wait()
            outcomes.append(member.write(event(payload), from_retry=False))

        threads = [
            threading.Thread(target=run, args=pair) for pair in zip(members, [first, second], strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert outcomes == [Outcome.WRITTEN, Outcome.WRITTEN]
        assert len(racy.records("customer")) == 1
        assert len(racy.records("salesOrder")) == 2
        assert racy.stats()["by_status"].get(400, 0) >= 1  # the race did happen
        for c in clients:
            c.close()


@pytest.mark.parametrize("code", ["SEK", "CHF"])  # not in NetSuite; inactive
def test_an_order_in_a_currency_netsuite_lacks_is_unmappable_not_booked_in_another(
    sim: NetSuiteSimulator, client: NetSuiteClient, code: str
) -> None:
    with pytest.raises(Unmappable, match=f"currency '{code}' is not an active NetSuite currency"):
        writer_for(sim, client).write(event(OrderFactory().order(1), currency=code), from_retry=False)
    assert sim.records("salesOrder") == []


def test_a_usd_order_of_a_euro_customer_is_booked_in_dollars(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    member = writer_for(sim, client)
    euro = OrderFactory(seed=2).order(1)
    member.write(event(euro), from_retry=False)
    placed_later = (datetime.fromisoformat(euro["date_created_gmt"]) + timedelta(days=1)).isoformat()
    dollars = {**euro, "id": 2, "number": "2", "currency": "USD", "date_created_gmt": placed_later}
    member.write(event(dollars), from_retry=False)
    assert [so["currency"]["id"] for so in sim.records("salesOrder")] == ["2", "1"]
    (customer,) = sim.records("customer")
    assert {line["currency"]["id"] for line in customer["currencyList"]["items"]} == {"1", "2"}


def test_never_update_keeps_the_customer_master_and_a_returning_order_is_one_call(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    member = writer_for(sim, client, WriterPolicy(customer_update="never"))
    factory = OrderFactory(seed=4, repeat_customers=0, skus=("COF-1KG",))  # SKU cached after order 1
    first = factory.order(1)
    member.write(event(first), from_retry=False)
    with signed_session(sim) as session:  # staff fix the customer in NetSuite
        (customer,) = sim.records("customer")
        assert session.patch(
            record_url(sim, f"customer/{customer['id']}"), json={"phone": "+1 212 555 0100"}
        ).ok
    moved = {
        **factory.order(2),
        "customer_id": first["customer_id"],
        "date_created_gmt": "2026-11-02T00:00:00",
    }
    moved["billing"] = {**moved["billing"], "city": "Bonn", "phone": "+49 228 5550199"}
    before = sim.stats()["requests"]
    assert member.write(event(moved), from_retry=False) is Outcome.WRITTEN
    assert sim.stats()["requests"] - before == 2  # the sales order and its payment: no customer call
    (customer,) = sim.records("customer")
    assert customer["phone"] == "+1 212 555 0100"  # NetSuite's master data untouched
    fresh = writer_for(sim, client, WriterPolicy(customer_update="never"))  # a member without memory
    third = {**moved, "id": 3, "number": "3", "date_created_gmt": "2026-11-03T00:00:00"}
    assert fresh.write(event(third), from_retry=False) is Outcome.WRITTEN
    assert sim.records("customer")[0]["phone"] == "+1 212 555 0100"  # read first, not overwritten


def test_a_new_customer_is_matched_by_email_to_a_hand_made_one(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    order = OrderFactory(seed=6).order(1)
    email = order["billing"]["email"]
    with signed_session(sim) as session:
        made = {"isPerson": True, "firstName": "Hand", "lastName": "Made", "email": email.upper()}
        assert session.post(record_url(sim, "customer"), json=made).status_code == 204
        other = {**made, "externalId": "SHOPIFY_7"}  # another integration's customer: never taken over
        assert session.post(record_url(sim, "customer"), json=other).status_code == 204
    matches = counter("woo_netsuite_customer_email_matches_total")
    member = writer_for(sim, client, WriterPolicy(match_email=True))
    assert member.write(event(order), from_retry=False) is Outcome.WRITTEN
    customers = sim.records("customer")
    assert [c.get("externalId") for c in customers] == [f"WOO_CUST_{order['customer_id']}", "SHOPIFY_7"]
    assert sim.records("salesOrder")[0]["entity"]["id"] == customers[0]["id"]
    assert counter("woo_netsuite_customer_email_matches_total") == matches + 1


def test_a_stale_item_id_is_dropped_and_the_order_written_with_the_current_item(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    member = writer_for(sim, client)
    factory = OrderFactory(seed=8, skus=("COF-1KG",))
    member.write(event(factory.order(1)), from_retry=False)  # caches COF-1KG → 101 for an hour
    with signed_session(sim) as session:  # the item is replaced in NetSuite meanwhile
        assert session.patch(record_url(sim, "inventoryItem/101"), json={"isInactive": True}).ok
        assert session.patch(record_url(sim, "inventoryItem/102"), json={"itemId": "COF-1KG"}).ok
    retries = counter("woo_netsuite_item_reference_retries_total")
    assert member.write(event(factory.order(2)), from_retry=False) is Outcome.WRITTEN
    assert sim.records("salesOrder")[1]["item"]["items"][0]["item"]["id"] == "102"
    assert counter("woo_netsuite_item_reference_retries_total") == retries + 1


def test_inactive_items_and_matrix_parents_do_not_resolve_and_upc_codes_can(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    for sku in ("OLD-GRINDER", "TEE"):  # inactive; a matrix parent (only its variants sell)
        with pytest.raises(Unmappable, match=f"unknown SKU.*{sku}"):
            writer_for(sim, client).write(event(OrderFactory(skus=(sku,)).order(1)), from_retry=False)
    by_upc = writer_for(sim, client, lookup_field="upccode")
    assert (
        by_upc.write(event(OrderFactory(skus=("4006381333931",)).order(1)), from_retry=False)
        is Outcome.WRITTEN
    )
    assert sim.records("salesOrder")[0]["item"]["items"][0]["item"]["id"] == "109"  # TEE-RED-M


def test_an_account_requiring_location_department_and_class_gets_them_from_settings() -> None:
    with NetSuiteSimulator(SimulatorConfig(mandatory_fields=("location", "department", "class"))) as strict:
        c = client_for(strict)
        order = event(OrderFactory().order(1))
        with pytest.raises(Exception, match="Location"):
            writer_for(strict, c).write(order, from_retry=False)
        member = writer_for(strict, c, location_id="1", department_id="2", class_id="3")
        assert member.write(order, from_retry=False) is Outcome.WRITTEN
        (so,) = strict.records("salesOrder")
        assert (so["location"], so["department"], so["class"]) == ({"id": "1"}, {"id": "2"}, {"id": "3"})
        c.close()


def _other_sku(order: dict[str, Any]) -> dict[str, Any]:
    """The order with its first line selling another catalogue SKU at the same price (totals hold)."""
    used = {li["sku"] for li in order["line_items"]}
    other = next(sku for sku in CATALOGUE if sku not in used)
    return {**order, "line_items": [{**order["line_items"][0], "sku": other}, *order["line_items"][1:]]}


def _items(sim: NetSuiteSimulator) -> list[str]:
    (so,) = sim.records("salesOrder")
    return [line["item"]["id"] for line in so["item"]["items"]]


def test_after_fulfilment_the_header_still_changes_and_a_line_change_is_dead_lettered_with_its_reason(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    member = writer_for(sim, client)
    paid = OrderFactory(seed=8, repeat_customers=0).order(1)
    day = paid["date_created_gmt"][:10]
    assert member.write(event(paid, date_modified_gmt=f"{day}T20:00:00"), from_retry=False) is Outcome.WRITTEN
    sim.fulfil(f"WOO_ORDER_{paid['id']}")
    fulfilled = _items(sim)

    noted = {**paid, "customer_note": "left with the neighbour", "date_modified_gmt": f"{day}T21:00:00"}
    assert member.write(event(noted), from_retry=False) is Outcome.WRITTEN  # the header only
    (so,) = sim.records("salesOrder")
    assert "left with the neighbour" in so["memo"]
    assert _items(sim) == fulfilled
    assert all(line["quantityFulfilled"] for line in so["item"]["items"])  # the warehouse's work kept

    swapped = {**_other_sku(paid), "customer_note": "and another mug", "date_modified_gmt": f"{day}T22:00:00"}
    before = counter("woo_consumer_changed_after_fulfilment_total")
    with pytest.raises(Rejected, match="changed after fulfilment: NetSuite has") as refused:
        member.write(event(swapped), from_retry=False)
    assert refused.value.error_code == "CHANGED_AFTER_FULFILMENT"
    assert counter("woo_consumer_changed_after_fulfilment_total") == before + 1
    (so,) = sim.records("salesOrder")
    assert "and another mug" in so["memo"]  # the header moved on
    assert _items(sim) == fulfilled  # the lines are NetSuite's, untouched


def test_before_fulfilment_a_line_change_replaces_the_lines(
    sim: NetSuiteSimulator, client: NetSuiteClient
) -> None:
    member = writer_for(sim, client)
    paid = OrderFactory(seed=8, repeat_customers=0).order(1)
    day = paid["date_created_gmt"][:10]
    member.write(event(paid, date_modified_gmt=f"{day}T20:00:00"), from_retry=False)
    first = _items(sim)
    swapped = {**_other_sku(paid), "date_modified_gmt": f"{day}T22:00:00"}
    assert member.write(event(swapped), from_retry=False) is Outcome.WRITTEN
    assert _items(sim) != first
    assert len(_items(sim)) == len(first)
