"""The WooCommerce simulator behaves as WooCommerce does, one behaviour per test (sources in its modules)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from devstack.demo_orders import OrderFactory
from devstack.woo_sim import Faults, WebhookConfig, WooSimConfig, WooSimulator

T0 = datetime(2026, 12, 1, 10, 0, 0, tzinfo=UTC)
ORDERS = "/wp-json/wc/v3/orders"


def seeded(shop: WooSimulator, n: int, start: int = 1) -> None:
    factory = OrderFactory(seed=5)
    for i in range(start, start + n):
        shop.create_order(factory.order(i), deliver=False, at=T0 + timedelta(seconds=i))


def get(
    shop: WooSimulator, path: str, auth: tuple[str, str] | None = None, **params: Any
) -> requests.Response:
    env = shop.env()
    key = auth or (env["WOOCOMMERCE_CONSUMER_KEY"], env["WOOCOMMERCE_CONSUMER_SECRET"])
    return requests.get(shop.base_url + path, params=params, auth=key, timeout=10)


@pytest.fixture
def shop() -> Iterator[WooSimulator]:
    with WooSimulator(WooSimConfig(timezone="America/New_York")) as simulator:
        seeded(simulator, 25)
        yield simulator


def test_orders_page_by_modified_with_totals_and_links(shop: WooSimulator) -> None:
    first = get(shop, ORDERS, orderby="modified", order="asc", per_page=10)
    assert [o["id"] for o in first.json()] == list(range(1, 11))
    assert (first.headers["X-WP-Total"], first.headers["X-WP-TotalPages"]) == ("25", "3")
    assert 'rel="next"' in first.headers["Link"]
    assert "page=2" in first.headers["Link"]
    last = get(shop, ORDERS, orderby="modified", order="asc", per_page=10, page=3)
    assert [o["id"] for o in last.json()] == list(range(21, 26))
    assert 'rel="next"' not in last.headers["Link"]
    past = get(shop, ORDERS, per_page=10, page=9)
    assert past.status_code == 200
    assert past.json() == []  # out of bounds: empty, with the real totals
    assert past.headers["X-WP-Total"] == "25"
    default = get(shop, ORDERS)  # per_page 10, newest created first
    assert [o["id"] for o in default.json()] == list(range(25, 15, -1))


def test_per_page_over_100_is_refused(shop: WooSimulator) -> None:
    resp = get(shop, ORDERS, per_page=101)
    assert resp.status_code == 400
    assert resp.json()["code"] == "rest_invalid_param"
    assert "per_page" in resp.json()["data"]["params"]
    assert get(shop, ORDERS, modified_after="yesterday").json()["code"] == "rest_invalid_param"


def test_modified_after_is_exclusive_on_the_gmt_column_with_dates_are_gmt(shop: WooSimulator) -> None:
    resp = get(shop, ORDERS, modified_after="2026-12-01T10:00:20", dates_are_gmt="true", per_page=100)
    assert sorted(o["id"] for o in resp.json()) == [21, 22, 23, 24, 25]  # 10:00:20 itself is not "after"
    order = resp.json()[0]
    assert order["date_modified_gmt"].startswith("2026-12-01T10:00:")
    assert order["date_modified"].startswith("2026-12-01T05:00:")  # New York, UTC-5 in December


def test_without_dates_are_gmt_the_time_is_read_as_site_local(shop: WooSimulator) -> None:
    """The trap: a UTC time without dates_are_gmt is compared with local times. West of UTC every
    order of the last five hours is skipped; a `Z` with dates_are_gmt is converted to local first."""
    naive = get(shop, ORDERS, modified_after="2026-12-01T10:00:20", per_page=100)
    assert naive.json() == []
    as_local = get(shop, ORDERS, modified_after="2026-12-01T05:00:20", per_page=100)
    assert sorted(o["id"] for o in as_local.json()) == [21, 22, 23, 24, 25]
    with_z = get(shop, ORDERS, modified_after="2026-12-01T10:00:20Z", dates_are_gmt="true", per_page=100)
    assert len(with_z.json()) == 25  # 10:00:20Z became 05:00:20, compared with the GMT column


def test_a_site_east_of_utc_skips_orders_with_a_z_time() -> None:
    with WooSimulator(WooSimConfig(timezone="UTC+2")) as shop:
        seeded(shop, 5)
        with_z = get(shop, ORDERS, modified_after="2026-12-01T09:00:00Z", dates_are_gmt="true")
        assert with_z.json() == []  # 09:00Z read as 11:00 local, compared with 10:00:0x GMT
        naive = get(shop, ORDERS, modified_after="2026-12-01T09:00:00", dates_are_gmt="true")
        assert len(naive.json()) == 5


def test_a_change_moves_date_modified_and_the_order_to_the_end(shop: WooSimulator) -> None:
    changed = shop.modify_order(3, {"status": "completed"}, deliver=False, at=T0 + timedelta(minutes=5))
    assert changed["date_modified_gmt"] == "2026-12-01T10:05:00"
    assert changed["date_completed_gmt"] == "2026-12-01T10:05:00"
    ids = [o["id"] for o in get(shop, ORDERS, orderby="modified", order="asc", per_page=100).json()]
    assert ids[-1] == 3
    assert ids[:3] == [1, 2, 4]


@pytest.mark.parametrize(
    ("config", "auth", "status", "code"),
    [
        ({}, ("ck_unknown", "cs_x"), 401, "woocommerce_rest_cannot_view"),
        ({}, None, 200, None),
        ({"ssl": False}, None, 401, "woocommerce_rest_cannot_view"),  # Basic auth only over https
        ({"key_permissions": "write"}, None, 401, "woocommerce_rest_authentication_error"),
        ({"user_can_manage": False}, None, 403, "woocommerce_rest_cannot_view"),
    ],
)
def test_key_authentication(config: dict[str, Any], auth: Any, status: int, code: str | None) -> None:
    with WooSimulator(WooSimConfig(**config)) as shop:
        resp = get(shop, ORDERS, auth=auth)
        assert resp.status_code == status
        if code:
            assert resp.json()["code"] == code
        wrong = get(shop, ORDERS, auth=(shop.config.consumer_key, "cs_wrong"))
        assert wrong.status_code == 401


def test_throttling_and_errors_come_before_authentication() -> None:
    with WooSimulator(
        WooSimConfig(faults=Faults(throttle_next_n=1, error_next_n=1, retry_after_s=7))
    ) as shop:
        throttled = get(shop, ORDERS, auth=("nobody", "nothing"))
        assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "7")
        assert get(shop, ORDERS).status_code == 503
        assert get(shop, ORDERS).status_code == 200


class _Receiver(ThreadingHTTPServer):
    def __init__(self, status: int) -> None:
        self.status, self.bodies = status, []  # type: ignore[var-annotated]
        self.arrived = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.server.bodies.append((dict(self.headers), body))  # type: ignore[attr-defined]
                self.send_response(self.server.status)  # type: ignore[attr-defined]
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


def test_deliveries_are_signed_and_a_failing_webhook_is_disabled_after_five() -> None:
    receiver = _Receiver(200)
    hook = WebhookConfig(7, "order.created", receiver.url, secret="s3cret-value-for-tests")
    try:
        with WooSimulator(WooSimConfig(webhooks=(hook,))) as shop:
            seeded(shop, 1)
            shop.create_order(OrderFactory(seed=1).order(50))
            assert shop.wait_deliveries(10)
            [(headers, body)] = receiver.bodies  # the order created with deliver=False was never sent
            expected = base64.b64encode(hmac.new(b"s3cret-value-for-tests", body, hashlib.sha256).digest())
            assert headers["X-WC-Webhook-Signature"] == expected.decode()
            assert (headers["X-WC-Webhook-Topic"], headers["X-WC-Webhook-ID"]) == ("order.created", "7")
            receiver.status = 503
            for n in range(51, 57):
                shop.create_order(OrderFactory(seed=1).order(n))
                assert shop.wait_deliveries(10)
            [listed] = get(shop, "/wp-json/wc/v3/webhooks").json()
            assert listed["status"] == "disabled"  # six failures in a row: more than five
            shop.create_order(OrderFactory(seed=1).order(60))
            assert shop.wait_deliveries(10)
            assert len(receiver.bodies) == 7  # nothing more is sent
            assert [w["status"] for w in get(shop, "/wp-json/wc/v3/webhooks", status="active").json()] == []
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_a_queued_delivery_absorbs_the_next_update_of_the_same_order() -> None:
    receiver = _Receiver(200)
    hook = WebhookConfig(8, "order.updated", receiver.url)
    gate = threading.Event()
    try:
        with WooSimulator(WooSimConfig(webhooks=(hook,))) as shop:
            seeded(shop, 2)
            shop.app.deliverer.on_delivery = lambda *_: gate.wait(5)  # hold the runner after the first
            shop.modify_order(1, {"status": "on-hold"})
            assert shop.app.deliverer.order_event(2, "order.updated") == 1
            shop.modify_order(2, {"status": "completed"})  # order 2 is still queued: coalesced
            gate.set()
            assert shop.wait_deliveries(10)
            assert len(receiver.bodies) == 2
            assert b'"status":"completed"' in receiver.bodies[1][1]  # built when sent: the newest state
            assert shop.stats()["deliveries"]["coalesced"] == 1
    finally:
        receiver.shutdown()
        receiver.server_close()


def test_a_refund_is_listed_on_the_order_and_in_its_refunds_collection(shop: WooSimulator) -> None:
    before = get(shop, f"{ORDERS}/3").json()
    line = before["line_items"][0]
    refund = shop.refund_order(3, {line["id"]: 1}, reason="damaged", deliver=False)
    after = get(shop, f"{ORDERS}/3").json()
    assert after["refunds"] == [{"id": refund["id"], "reason": "damaged", "total": f"-{refund['amount']}"}]
    assert after["date_modified_gmt"] > before["date_modified_gmt"]
    assert after["status"] == before["status"]  # refunded in part
    (listed,) = get(shop, f"{ORDERS}/3/refunds").json()
    (item,) = listed["line_items"]
    assert item["quantity"] == -1
    assert item["meta_data"] == [{"key": "_refunded_item_id", "value": str(line["id"])}]
    share = Decimal(line["total"]) / line["quantity"]
    assert Decimal(item["total"]) == -share.quantize(Decimal("0.01"))
    assert Decimal(listed["amount"]) == -Decimal(item["total"]) - Decimal(item["total_tax"])


def test_refunds_reaching_the_total_make_the_order_refunded_newest_first(shop: WooSimulator) -> None:
    order = get(shop, f"{ORDERS}/4").json()
    first = shop.refund_order(4, amount="1.00", deliver=False)
    rest = str(Decimal(order["total"]) - 1)
    second = shop.refund_order(4, amount=rest, deliver=False)
    after = get(shop, f"{ORDERS}/4").json()
    assert after["status"] == "refunded"
    assert [r["id"] for r in after["refunds"]] == [second["id"], first["id"]]
    listed = get(shop, f"{ORDERS}/4/refunds", per_page=1)
    assert listed.headers["X-WP-TotalPages"] == "2"
    assert [r["id"] for r in listed.json()] == [second["id"]]


def test_the_refunds_of_an_unknown_order_are_a_404(shop: WooSimulator) -> None:
    resp = get(shop, f"{ORDERS}/999/refunds")
    assert (resp.status_code, resp.json()["code"]) == (404, "woocommerce_rest_order_invalid_id")


def test_a_refund_beyond_what_remains_is_refused(shop: WooSimulator) -> None:
    order = get(shop, f"{ORDERS}/5").json()
    shop.refund_order(5, amount="1.00", deliver=False)
    with pytest.raises(ValueError, match="Invalid refund amount"):
        shop.refund_order(5, amount=order["total"], deliver=False)
