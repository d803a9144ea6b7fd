"""Realistic signed WooCommerce order webhooks, for `make run`, the benchmarks and the e2e tests.

Bodies are encoded the way PHP's `json_encode` does it (compact, `\\/`, `\\uXXXX`) and signed the
way WooCommerce does it: base64(HMAC-SHA256(entity-decoded secret, exact body bytes)). Totals
are consistent, in decimal strings, like a real checkout's: German VAT (19 %, WooCommerce rate id
`TAX_RATE_ID`) per line in `taxes[]` and per rate in `tax_lines`, `date_created` in the shop's time
zone (Europe/Berlin, an hour ahead of GMT in November).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CATALOGUE: dict[str, Decimal] = {
    "COF-1KG": Decimal("19.90"),
    "COF-250G": Decimal("6.40"),
    "MUG-BLUE": Decimal("12.50"),
    "MUG-RED": Decimal("12.50"),
    "Bar3": Decimal("4.95"),
}
CENT = Decimal("0.01")
TAX_RATE_ID = 1
SHOP_UTC_OFFSET = timedelta(hours=1)  # Europe/Berlin in November
FIRST = ["Jürgen", "Ana", "Li", "Chloé", "Oluwaseun", "Sören", "Maya", "João"]
LAST = ["Müller", "García", "Wang", "Dubois", "Adeyemi", "Ørsted", "Cohen", "Conceição"]


def php_json(payload: dict[str, Any]) -> bytes:
    """PHP json_encode with default flags: compact, every non-ASCII as \\uXXXX, '/' as '\\/'."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=True).replace("/", "\\/").encode()


def sign(body: bytes, key: str) -> str:
    """X-WC-Webhook-Signature for `body`; `key` is the secret after entity decoding."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass
class OrderFactory:
    """Deterministic orders: same seed (and day), same orders.

    Order n is created `start` + 37 n seconds. `start` defaults to 20 days before today (UTC
    midnight): orders must look recent, because the consumer reads NetSuite first for an
    `order.created` older than its memory's retention (30 days) — a fixed date would have turned
    every benchmark order into a replayed one a month after it was written (it did: 2 → 4 calls) —
    and ~46,000 orders fit before today (bench.reconcile makes 5,000).
    """

    seed: int = 7
    skus: tuple[str, ...] = tuple(CATALOGUE)
    tax_rate: Decimal = Decimal("0.19")
    repeat_customers: float = 0.5
    start: datetime | None = None

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._customers: list[int] = []
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        self._start = self.start or today - timedelta(days=20)

    def order(
        self, order_id: int, *, status: str = "processing", sku_override: str | None = None
    ) -> dict[str, Any]:
        rng = self._rng
        if self._customers and rng.random() < self.repeat_customers:
            customer_id = rng.choice(self._customers)
        else:
            customer_id = 1000 + len(self._customers) + 1
            self._customers.append(customer_id)
        created = self._start + timedelta(seconds=order_id * 37)
        lines, subtotal = [], Decimal(0)
        for n, sku in enumerate(rng.sample(list(self.skus), k=rng.randint(1, min(3, len(self.skus))))):
            qty = rng.randint(1, 3)
            price = CATALOGUE.get(sku, Decimal("10.00"))
            total = price * qty
            subtotal += total
            lines.append(
                {
                    "id": order_id * 10 + n,
                    "name": f"{sku} &ndash; demo",
                    "product_id": 100 + n,
                    "variation_id": 0,
                    "quantity": qty,
                    "tax_class": "",
                    "subtotal": _money(total),
                    "subtotal_tax": _money(total * self.tax_rate),
                    "total": _money(total),
                    "total_tax": _money(total * self.tax_rate),
                    "taxes": [
                        {
                            "id": TAX_RATE_ID,
                            "total": _money(total * self.tax_rate),
                            "subtotal": _money(total * self.tax_rate),
                        }
                    ],
                    "meta_data": [],
                    "sku": sku_override or sku,
                    "price": float(price),
                }
            )
        shipping = Decimal("4.90") if subtotal < 50 else Decimal(0)
        cart_tax = sum((Decimal(str(li["total_tax"])) for li in lines), Decimal(0))
        shipping_tax = (shipping * self.tax_rate).quantize(CENT, rounding=ROUND_HALF_UP)
        tax = cart_tax + shipping_tax
        first, last = rng.choice(FIRST), rng.choice(LAST)
        address = {
            "first_name": first,
            "last_name": last,
            "company": "",
            "address_1": f"Hauptstraße {order_id % 200}",
            "address_2": "",
            "city": "Köln",
            "state": "",
            "postcode": "50667",
            "country": "DE",
        }
        stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
        return {
            "id": order_id,
            "parent_id": 0,
            "number": str(order_id),
            "status": status,
            "currency": "EUR",
            "prices_include_tax": False,
            "date_created_gmt": stamp,
            "date_created": (created + SHOP_UTC_OFFSET).strftime("%Y-%m-%dT%H:%M:%S"),
            "date_modified_gmt": stamp,
            "date_paid_gmt": stamp if status in ("processing", "completed") else None,
            "discount_total": "0.00",
            "discount_tax": "0.00",
            "shipping_total": _money(shipping),
            "shipping_tax": _money(shipping_tax),
            "cart_tax": _money(cart_tax),
            "total": _money(subtotal + shipping + tax),
            "total_tax": _money(tax),
            "customer_id": customer_id,
            "billing": {**address, "email": f"customer{customer_id}@example.com", "phone": "+49 221 5550100"},
            "shipping": {**address, "phone": ""},
            "payment_method": "stripe",
            "customer_note": "",
            "line_items": lines,
            "shipping_lines": [
                {
                    "id": order_id * 10 + 9,
                    "method_id": "flat_rate",
                    "method_title": "Flat rate",
                    "total": _money(shipping),
                    "total_tax": _money(shipping_tax),
                    "taxes": [{"id": TAX_RATE_ID, "total": _money(shipping_tax), "subtotal": ""}],
                }
            ],
            "fee_lines": [],
            "coupon_lines": [],
            "tax_lines": [
                {
                    "id": order_id * 10 + 8,
                    "rate_id": TAX_RATE_ID,
                    "rate_code": "DE-MWST-1",
                    "label": "MwSt.",
                    "compound": False,
                    "tax_total": _money(cart_tax),
                    "shipping_tax_total": _money(shipping_tax),
                    "rate_percent": 19,
                }
            ],
            "refunds": [],
        }

    def delivery(
        self, order: dict[str, Any], key: str, *, topic: str = "order.created"
    ) -> tuple[bytes, dict[str, str]]:
        """Body bytes and headers of a WooCommerce delivery of `order`."""
        body = php_json(order)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "WooCommerce/9.7.1 Hookshot (WordPress/6.7.2)",
            "X-WC-Webhook-Source": "https://shop.example.com/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": "order",
            "X-WC-Webhook-Event": topic.split(".", 1)[1],
            "X-WC-Webhook-Signature": sign(body, key),
            "X-WC-Webhook-ID": "12",
            "X-WC-Webhook-Delivery-ID": hashlib.md5(body, usedforsecurity=False).hexdigest(),
        }
        return body, headers
