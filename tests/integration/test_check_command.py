"""`python -m consumer check` against the broker and the simulator, one thing broken at a time."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from devstack.demo_orders import OrderFactory
from devstack.netsuite_sim import NetSuiteSimulator, SimulatorConfig
from devstack.woo_sim import WebhookConfig, WooSimConfig, WooSimulator
from tests import cli
from tests.conftest import Broker
from tests.integration.pipeline_harness import consumer_settings, create_topics


def check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return cli.run("consumer", "check", env=env)


@pytest.fixture(scope="module")
def topics(broker: Broker) -> dict[str, str]:
    """Kafka env for a topic set created once for the module."""
    settings = consumer_settings(broker.bootstrap, {**_dummy_netsuite()}, "check-module")
    create_topics(settings)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap,
        "ORDERS_TOPIC": settings.orders_topic,
        "ORDERS_TOPIC_PARTITIONS": str(settings.orders_topic_partitions),
        "RETRY_DELAYS_SECONDS": "0.5,1,1.5",
    }


def _dummy_netsuite() -> dict[str, str]:
    return {
        "NETSUITE_ACCOUNT_ID": "1234567_SB1",
        "NETSUITE_CONSUMER_KEY": "k",
        "NETSUITE_CONSUMER_SECRET": "s",
        "NETSUITE_TOKEN_ID": "t",
        "NETSUITE_TOKEN_SECRET": "ts",
    }


def run_against(
    config: SimulatorConfig, env: dict[str, str], **overrides: str
) -> subprocess.CompletedProcess[str]:
    with NetSuiteSimulator(config) as sim:
        return check({**env, **sim.env(), **overrides})


PUBLIC = "https://hooks.example.com"
HOOKS = (
    WebhookConfig(1, "order.created", f"{PUBLIC}/webhook/woocommerce/order-created"),
    WebhookConfig(2, "order.updated", f"{PUBLIC}/webhook/woocommerce/order-updated"),
)


@contextmanager
def shop(*, sku: str | None = None, currency: str | None = None) -> Iterator[dict[str, str]]:
    """A shop with both order webhooks (never delivering: nothing listens there) and three orders,
    the last one selling `sku` / in `currency` when given; the env that points `check` at it."""
    with WooSimulator(WooSimConfig(webhooks=HOOKS)) as woo:
        factory = OrderFactory(seed=5)
        for n in (1, 2, 3):
            order = factory.order(n, sku_override=sku if n == 3 else None)
            if currency and n == 3:
                order["currency"] = currency
            woo.create_order(order, deliver=False)
        yield {**woo.env(), "RECEIVER_PUBLIC_URL": PUBLIC}


METHODS = '{"stripe": "7", "default": "1"}'


def test_everything_in_place_passes(topics: dict[str, str]) -> None:
    with shop() as shop_env:
        result = run_against(SimulatorConfig(), {**topics, **shop_env}, NETSUITE_PAYMENT_METHOD_MAP=METHODS)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(line.startswith("✔") for line in lines[:-1]), result.stdout
    for name in (
        "kafka",
        "topics",
        "credentials",
        "permissions",
        "custom field custbody_woo_modified_gmt",
        "NETSUITE_TAX_CODE_MAP",
        "currencies",
        "woocommerce key",
        "webhook order.created",
        "webhook order.updated",
        "SKUs of the last 3 orders",
        "currencies of the last 3 orders",
        "NETSUITE_PAYMENT_METHOD_MAP: stripe → Credit Card (Stripe), default → Cash",
        "NETSUITE_REFUND_ACCOUNT_ID: account 1 (Checking, Bank)",
    ):
        assert any(line.startswith(f"✔ {name}") for line in lines), name
    assert lines[-1].endswith("passed, 0 failed")


def test_without_a_shop_its_lines_are_not_checked_and_do_not_fail(topics: dict[str, str]) -> None:
    result = run_against(SimulatorConfig(), topics)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "○ woocommerce: WOOCOMMERCE_API_URL unset" in result.stdout
    assert "○ NETSUITE_PAYMENT_METHOD_MAP: unset" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("passed, 0 failed, 2 not checked")


def test_an_unset_refund_account_is_said_not_failed(topics: dict[str, str]) -> None:
    """Only an order refunded in full before it is billed needs it (its deposit is given back), and
    the contract does not name it: a setup with every contracted variable right passes."""
    result = run_against(SimulatorConfig(), topics, NETSUITE_REFUND_ACCOUNT_ID="")
    assert result.returncode == 0, result.stdout + result.stderr
    [line] = [ln for ln in result.stdout.splitlines() if "NETSUITE_REFUND_ACCOUNT_ID" in ln]
    assert line.startswith("○ NETSUITE_REFUND_ACCOUNT_ID: unset: an order refunded in full before")


@pytest.mark.parametrize(
    ("shop_args", "overrides", "failing", "fix"),
    [
        ({}, {"NETSUITE_TAX_CODE_MAP": '{"default": "999"}'}, "NETSUITE_TAX_CODE_MAP", "active tax code"),
        ({}, {"NETSUITE_TAX_CODE_MAP": '{"1": "11", "default": "17"}'}, "NETSUITE_TAX_CODE_MAP", "active"),
        ({}, {"NETSUITE_TAX_CODE_MAP": "{}"}, "NETSUITE_TAX_CODE_MAP", "set it to"),
        (
            {},
            {"NETSUITE_COUPON_CODES_FIELD": "custbody_woo_coupons"},
            "custom field custbody_woo_coupons",
            "NETSUITE_COUPON_CODES_FIELD",
        ),
        ({}, {"WOOCOMMERCE_CONSUMER_SECRET": "cs_wrong"}, "woocommerce key", "Read permission"),
        ({}, {"RECEIVER_PUBLIC_URL": "https://elsewhere.example.com"}, "webhook order.created", "Webhooks"),
        ({"sku": "NOT-IN-NETSUITE"}, {}, "SKUs of the last 3 orders", "NETSUITE_ITEM_LOOKUP_FIELD"),
        ({"currency": "CHF"}, {}, "currencies of the last 3 orders", "activate the currency"),
        (
            {},
            {"NETSUITE_PAYMENT_METHOD_MAP": '{"stripe": "9"}'},
            "NETSUITE_PAYMENT_METHOD_MAP",
            "active payment",
        ),
        ({}, {"NETSUITE_REFUND_ACCOUNT_ID": "2"}, "NETSUITE_REFUND_ACCOUNT_ID", "bank"),
    ],
    ids=[
        "unknown-tax-code",
        "inactive-tax-code",
        "no-tax-codes",
        "undefined-body-field",
        "shop-key",
        "webhooks-elsewhere",
        "unknown-sku",
        "inactive-currency",
        "inactive-payment-method",
        "refunds-from-no-bank",
    ],
)
def test_one_booking_or_shop_thing_broken_is_named_with_its_fix(
    topics: dict[str, str], shop_args: dict[str, str], overrides: dict[str, str], failing: str, fix: str
) -> None:
    with shop(**shop_args) as shop_env:
        result = run_against(SimulatorConfig(), {**topics, **shop_env}, **overrides)
    assert result.returncode == 1, result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("✘")]
    assert failed[0].startswith(f"✘ {failing}"), result.stdout
    assert fix in failed[0]
    assert len(failed) == (2 if failing.startswith("webhook") else 1), result.stdout  # both topics


@pytest.mark.parametrize(
    ("config", "overrides", "failing", "fix"),
    [
        (SimulatorConfig(), {"NETSUITE_TOKEN_SECRET": "wrong"}, "credentials", "issue a new token"),
        (SimulatorConfig(denied_record_types=frozenset({"salesOrder"})), {}, "permissions", "sales orders"),
        (SimulatorConfig(suiteql_allowed=False), {}, "permissions", "SuiteQL"),
        (
            SimulatorConfig(custom_fields={"customer": ("custentity_woo_order_created_gmt",)}),
            {},
            "custom field custbody_woo_modified_gmt",
            "Transaction Body Field",
        ),
        (SimulatorConfig(), {"NETSUITE_FEE_ITEM_ID": "999999"}, "NETSUITE_FEE_ITEM_ID", "internal id"),
        (SimulatorConfig(), {"NETSUITE_DISCOUNT_ITEM_ID": ""}, "NETSUITE_DISCOUNT_ITEM_ID", "service item"),
        (SimulatorConfig(), {"ORDERS_TOPIC": "check-never-created"}, "topics", "python -m consumer topics"),
        (SimulatorConfig(), {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}, "kafka", "KAFKA_BOOTSTRAP_SERVERS"),
    ],
    ids=[
        "token",
        "sales-order-permission",
        "suiteql-permission",
        "custom-field",
        "unknown-item",
        "unset-item",
        "missing-topics",
        "no-broker",
    ],
)
def test_one_thing_broken_is_named_with_its_fix(
    topics: dict[str, str], config: SimulatorConfig, overrides: dict[str, str], failing: str, fix: str
) -> None:
    result = run_against(config, topics, **overrides)
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith("✘")]
    assert line.startswith(f"✘ {failing}"), result.stdout
    assert fix in line


def test_an_inactive_item_is_named(topics: dict[str, str]) -> None:
    with NetSuiteSimulator(SimulatorConfig()) as sim:
        ids = sim.add_items([{"type": "serviceItem", "itemId": "OLD-FEE", "isInactive": True}])
        result = check({**topics, **sim.env(), "NETSUITE_FEE_ITEM_ID": ids["OLD-FEE"]})
    assert result.returncode == 1
    assert (
        f"✘ NETSUITE_FEE_ITEM_ID: item {ids['OLD-FEE']} (OLD-FEE) is inactive — fix: reactivate it"
        in result.stdout
    )
