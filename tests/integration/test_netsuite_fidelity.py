"""Generated WooCommerce orders through the production writer into the simulator, per tax mode.

The simulator computes the sales order's total the way NetSuite does (its SuiteTax engine taxes every
line unless the order overrides the tax; amounts in the currency's precision), so a total that
matches here is not just the sum of our own lines:
- `suitetax` and `line`: NetSuite's total equals WooCommerce's `total` (to the currency's unit);
- `netsuite`: NetSuite's own tax decides the total, and the variance to WooCommerce's tax is written
  to the order and is exactly the difference of the two totals.
Every order shape of `tests/woo_orders.py` (coupons, fees ±, free/double shipping, inclusive and
exclusive prices at several rates, rounding at subtotal, 0-totals, EUR/USD/JPY, 3-decimal shops,
one name part, long text) is written through the real client, SuiteQL look-ups included.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings

from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.currency import CurrencyResolver
from consumer.netsuite.items import ItemResolver
from consumer.netsuite.money import to_places
from consumer.netsuite.policy import MappingPolicy, TaxMode, WriterPolicy
from consumer.netsuite.settings import NetSuiteSettings
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.outcome import Outcome
from consumer.pipeline.sync import OrderWriter
from devstack.netsuite_sim import NetSuiteSimulator
from schemas.order import OrderEvent, WooOrder
from tests.woo_orders import TAX_CODE_MAP, woo_orders

EXAMPLES = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PLACES = {"EUR": 2, "USD": 2, "JPY": 0}  # the simulator's currencyprecision


@pytest.fixture(scope="module")
def sim() -> Iterator[NetSuiteSimulator]:
    with NetSuiteSimulator() as running:
        yield running


@pytest.fixture(scope="module")
def client(sim: NetSuiteSimulator) -> Iterator[NetSuiteClient]:
    settings_ = NetSuiteSettings(**{k.lower(): v for k, v in sim.env().items()})  # type: ignore[arg-type]
    client = NetSuiteClient(settings_)
    yield client
    client.close()


def write(
    sim: NetSuiteSimulator, client: NetSuiteClient, payload: dict[str, Any], mode: TaxMode
) -> dict[str, Any]:
    """Write one order with a fresh writer into a fresh account; the sales order as NetSuite holds it."""
    sim.reset()
    ids = sim.special_item_ids()
    policy = MappingPolicy(
        shipping_item_id=ids["NETSUITE_SHIPPING_ITEM_ID"],
        discount_item_id=ids["NETSUITE_DISCOUNT_ITEM_ID"],
        fee_item_id=ids["NETSUITE_FEE_ITEM_ID"],
        tax_item_id=ids["NETSUITE_TAX_ITEM_ID"],
        rounding_item_id=ids["NETSUITE_ROUNDING_ITEM_ID"],
        tax_mode=mode,
        tax_code_map=TAX_CODE_MAP,
        ship_method_map={"dhl_paket": sim.item_id("DHL Paket")},
    )
    writer = OrderWriter(
        client,
        ItemResolver(client, ttl_s=0, negative_ttl_s=0),
        policy,
        calls=CallRetry(sleep=lambda s: None),
        currencies=CurrencyResolver(client, ttl_s=3600),
        writer_policy=WriterPolicy(),
    )
    event_ = OrderEvent(order=WooOrder.model_validate(payload), webhook_topic="order.created")
    assert writer.write(event_, from_retry=False) is Outcome.WRITTEN
    (order,) = sim.records("salesOrder")
    return order


def netsuite_total(order: dict[str, Any]) -> Decimal:
    return Decimal(repr(order["total"]))


def classify(payload: dict[str, Any], order: dict[str, Any]) -> None:
    event(payload["currency"] + (" incl." if payload["prices_include_tax"] else " excl."))
    if any(i["item"]["id"] == "905" for i in order["item"]["items"]):
        event("rounding line")
    if "shipMethod" in order:
        event("ship method mapped")
    if Decimal(payload["total"]) == 0:
        event("zero total")


@pytest.mark.parametrize("mode", ["suitetax", "line"])
@EXAMPLES
@given(payload=woo_orders())
def test_netsuite_total_equals_woocommerce_total(
    sim: NetSuiteSimulator, client: NetSuiteClient, payload: dict[str, Any], mode: TaxMode
) -> None:
    order = write(sim, client, payload, mode)
    classify(payload, order)
    places = PLACES[payload["currency"]]
    assert netsuite_total(order) == to_places(Decimal(payload["total"]), places)
    assert order["tranDate"] == "2025-03-31"  # the shop's date, not GMT's (April 1st)
    if mode == "suitetax":
        tax = sum((Decimal(repr(d["taxAmount"])) for d in order["taxDetails"]["items"]), Decimal(0))
        assert abs(tax - Decimal(payload["total_tax"])) <= Decimal("0.05")  # WooCommerce's tax, per line


@EXAMPLES
@given(payload=woo_orders())
def test_netsuite_mode_records_the_tax_variance(
    sim: NetSuiteSimulator, client: NetSuiteClient, payload: dict[str, Any]
) -> None:
    order = write(sim, client, payload, "netsuite")
    classify(payload, order)
    places = PLACES[payload["currency"]]
    variance = Decimal(repr(order["custbody_woo_tax_variance"]))
    assert variance == Decimal(repr(order["taxTotal"])) - to_places(Decimal(payload["total_tax"]), places)
    assert netsuite_total(order) - to_places(Decimal(payload["total"]), places) == variance
    if variance:
        event("variance")
