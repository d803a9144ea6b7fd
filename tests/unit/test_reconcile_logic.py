"""Reconcile's decisions without a broker: the webhook health table, what a pass publishes or skips,
and where its window starts and its watermark ends (Kafka stood in for by fakes; WooCommerce is the
simulator)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common import headers as h
from consumer.reconcile import cli
from consumer.reconcile.reconciler import PassResult, Reconciler, Timing
from consumer.reconcile.table import TableWriteFailed
from consumer.reconcile.tail import source_of
from consumer.reconcile.webhooks import check, points_at
from consumer.woocommerce.client import WooAuthError, WooClient, WooUnavailable
from consumer.woocommerce.settings import WooCommerceSettings
from devstack.demo_orders import OrderFactory
from devstack.woo_sim import WooSimulator
from receiver.testing import FakePublisher
from schemas.serde import SingleObjectSerde
from tests import cli as cli_command

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
US = "https://hooks.example.com"


def hook(
    id_: int, topic: str, status: str = "active", url: str = f"{US}/webhook/woocommerce/x"
) -> dict[str, Any]:
    return {"id": id_, "topic": topic, "status": status, "delivery_url": url}


@pytest.mark.parametrize(
    ("hooks", "created", "problem"),
    [
        ([hook(1, "order.created")], True, None),
        ([], False, "no order.created webhook"),
        ([hook(1, "order.created", "disabled")], False, "webhook 1 (order.created) is disabled"),
        ([hook(1, "order.created", "paused"), hook(2, "order.created")], True, None),
        ([hook(3, "order.created", url="https://old.example.com/webhook/woocommerce/x?t=secret")], False,
         "webhook 3 (order.created) delivers to old.example.com, not to us"),
        (None, False, "cannot read the webhooks list"),
    ],
)  # fmt: skip
def test_webhook_health(hooks: list[dict[str, Any]] | None, created: bool, problem: str | None) -> None:
    health = {t.topic: t for t in check(hooks, US)}
    assert health["order.created"].active is created
    if problem:
        assert problem in health["order.created"].problems
        assert "secret" not in " ".join(health["order.created"].problems)  # only the host is named
    assert health["order.updated"].active is False  # none of these is an order.updated webhook


def test_a_delivery_url_is_ours_below_the_public_url() -> None:
    assert points_at(
        "https://hooks.example.com/webhook/woocommerce/order-created", "https://hooks.example.com"
    )
    assert points_at("https://hooks.example.com/shop/webhook/woocommerce/order-updated", f"{US}/shop/")
    assert not points_at("http://hooks.example.com/webhook/woocommerce/order-created", US)
    assert not points_at("https://hooks.example.com:8443/webhook/woocommerce/x", US)
    assert not points_at("https://evil.example.com/webhook/woocommerce/x", US)
    assert points_at("https://anything.example.com/x", None)  # RECEIVER_PUBLIC_URL unset


def test_the_source_of_a_main_topic_record() -> None:
    assert source_of([]) == "webhook"
    assert source_of([(h.REDRIVE_COUNT, b"1")]) == "redrive"
    assert source_of([(h.SOURCE, h.RECONCILE)]) == "reconcile"


class FakeTable:
    def __init__(self, watermark: datetime | None = None, versions: dict[int, str] | None = None) -> None:
        self.watermark, self.versions, self.positions = watermark, dict(versions or {}), {}
        self.recorded: list[tuple[int, str, str]] = []

    def catch_up(self) -> None: ...
    def version(self, order_id: int) -> str | None:
        return self.versions.get(order_id)

    def record(self, order_id: int, version: str, source: str) -> bool:
        self.recorded.append((order_id, version, source))
        self.versions[order_id] = version
        return True

    def save_positions(self, positions: dict[int, int]) -> None: ...
    def save_watermark(self, cutoff: datetime) -> None:
        self.watermark = max(self.watermark or cutoff, cutoff)


class FakeTail:
    def __init__(self) -> None:
        self.windows: list[int] = []

    def read(self, table: FakeTable, window_start_ms: int, *, quick: bool = False) -> dict[int, int]:
        self.windows.append(window_start_ms)
        return {}


@pytest.fixture
def shop() -> Iterator[WooSimulator]:
    with WooSimulator() as simulator:
        factory = OrderFactory(seed=9)
        for n in range(1, 6):
            simulator.create_order(factory.order(n), deliver=False, at=NOW - timedelta(minutes=10 - n))
        yield simulator


def reconciler(shop: WooSimulator, table: FakeTable, publisher: FakePublisher) -> Reconciler:
    woo = WooClient(WooCommerceSettings(**{k.lower(): v for k, v in shop.env().items()}))  # type: ignore[arg-type]
    return Reconciler(
        woo=woo,
        publisher=publisher,
        serde=SingleObjectSerde(),
        table=table,  # type: ignore[arg-type]
        tail=FakeTail(),  # type: ignore[arg-type]
        orders_topic="orders",
        shop_url="https://shop.example.com",
        public_url=None,
        timing=Timing(overlap=timedelta(minutes=15), lag=timedelta(minutes=2)),
        clock=lambda: NOW,
    )


def test_a_pass_publishes_only_versions_nobody_published(shop: WooSimulator) -> None:
    published = shop.app.store.get(2) or {}
    table = FakeTable(
        NOW - timedelta(minutes=30), {2: published["date_modified_gmt"], 3: "2026-12-02T11:00:00"}
    )
    publisher = FakePublisher()
    result = reconciler(shop, table, publisher).run_pass()
    assert (result.listed, result.published, result.already) == (5, 4, 1)  # 3's version is newer here
    assert sorted(key for _, key, _, _ in publisher.calls) == [b"1", b"3", b"4", b"5"]
    _, _, value, headers = publisher.calls[0]
    assert (h.SOURCE, h.RECONCILE) in headers
    event = SingleObjectSerde().decode(value)
    assert event.webhook_topic == "order.updated"
    assert all(source == "reconcile" for _, _, source in table.recorded)
    assert table.watermark == NOW - timedelta(minutes=2)  # the cutoff


def test_an_order_the_receiver_would_refuse_is_counted_not_published(shop: WooSimulator) -> None:
    shop.modify_order(4, {"line_items": "not a list"}, deliver=False, at=NOW - timedelta(minutes=3))
    publisher = FakePublisher()
    result = reconciler(shop, FakeTable(NOW - timedelta(minutes=30)), publisher).run_pass()
    assert (result.published, result.invalid) == (4, 1)
    assert b"4" not in [key for _, key, _, _ in publisher.calls]


def test_changes_inside_the_lag_are_left_to_the_next_pass(shop: WooSimulator) -> None:
    shop.modify_order(5, {"status": "completed"}, deliver=False, at=NOW - timedelta(seconds=30))
    result = reconciler(shop, FakeTable(NOW - timedelta(minutes=30)), FakePublisher()).run_pass()
    assert result.listed == 4  # 5 changed 30 s ago, inside RECONCILE_LAG_S: its webhook may still come


def test_the_first_pass_looks_back_the_overlap_and_since_never_skips_the_watermark(
    shop: WooSimulator,
) -> None:
    first = reconciler(shop, FakeTable(), FakePublisher()).run_pass()
    assert first.start == NOW - timedelta(minutes=2) - timedelta(minutes=15)
    old = NOW - timedelta(days=2)
    table = FakeTable(old)
    late = reconciler(shop, table, FakePublisher()).run_pass(since=NOW - timedelta(hours=1))
    assert late.published == 5
    assert table.watermark == old  # the day before --since was not looked at: the watermark stays
    early = reconciler(shop, table, FakePublisher()).run_pass(since=old - timedelta(hours=1))
    assert early.watermark == NOW - timedelta(minutes=2)


class ScriptedReconciler:
    def __init__(self, outcome: Exception | None) -> None:
        self.outcome = outcome

    def run_pass(self, since: datetime | None = None) -> PassResult:
        if self.outcome is not None:
            raise self.outcome
        return PassResult(NOW - timedelta(minutes=17), NOW - timedelta(minutes=2), listed=3, published=1)


@pytest.mark.parametrize(
    ("outcome", "code", "said"),
    [
        (None, 0, "3 listed, 1 published (missed by the webhook path)"),
        (WooAuthError("GET /orders: HTTP 401", status=401), 2, "refused the key"),
        (WooUnavailable("GET /orders: HTTP 503"), 3, "did not complete"),
        (TableWriteFailed("orders.reconcile: 1 change(s) unacknowledged"), 3, "watermark did not move"),
    ],
)
def test_once_exit_codes(
    outcome: Exception | None, code: int, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli._once(ScriptedReconciler(outcome), None) == code  # type: ignore[arg-type]
    printed = capsys.readouterr()
    assert said in printed.out + printed.err


def test_a_signal_cuts_the_woocommerce_back_off_short() -> None:
    stop = threading.Event()
    sleep = cli._backoff_until(stop)
    sleep(0.01)  # not stopping: an ordinary wait
    stop.set()
    started = time.monotonic()
    with pytest.raises(WooUnavailable, match="stopping"):
        sleep(60)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("mode", [["--once"], []], ids=["once", "long-running"])
def test_a_broker_that_does_not_answer_at_start_exits_3_with_one_line(mode: list[str]) -> None:
    """Before the first pass both modes read the reconcile and main topics' metadata: a broker that
    does not answer is reconcile's "Kafka did not answer" (3, run it again), not a traceback."""
    secret = "cs_do_not_print_me"
    result = cli_command.run(
        "consumer",
        "reconcile",
        *mode,
        env={
            "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",  # nothing listens on port 1
            "RECONCILE_READ_TIMEOUT_S": "1",
            "METRICS_PORT": "0",
            "WOOCOMMERCE_API_URL": "https://shop.example.com",
            "WOOCOMMERCE_CONSUMER_KEY": "ck_do_not_print_me",
            "WOOCOMMERCE_CONSUMER_SECRET": secret,
        },
        timeout_s=60,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert "KAFKA_BOOTSTRAP_SERVERS" in result.stderr  # the variable to check, named
    assert "_do_not_print_me" not in result.stderr + result.stdout
