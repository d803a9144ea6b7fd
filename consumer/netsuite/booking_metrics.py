"""Metrics of how orders are booked: rounding lines, tax variance, item and customer look-ups.

Labels never carry order data (no ids, no amounts as labels).
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

ROUNDING_LINES = Counter(
    "woo_netsuite_rounding_lines",
    "Sales orders written with a rounding line: WooCommerce's own figures disagreed by rounding "
    "(within ROUNDING_TOLERANCE)",
)
TAX_VARIANCE = Histogram(
    "woo_netsuite_tax_variance",
    "netsuite tax mode: |NetSuite's tax - WooCommerce's tax| of each written order, in its currency",
    buckets=(0, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5, 10, 50, 100),
)
TAX_VARIANCE_ORDERS = Counter(
    "woo_netsuite_tax_variance_orders",
    "netsuite tax mode: orders whose tax NetSuite computed differently from WooCommerce, by whether "
    "the difference is beyond NETSUITE_TAX_VARIANCE_TOLERANCE",
    ["beyond_tolerance"],
)
ITEM_REFERENCE_RETRIES = Counter(
    "woo_netsuite_item_reference_retries",
    "Sales orders NetSuite refused for an invalid item reference: the cached item id was dropped and "
    "the SKU looked up again",
)
CUSTOMER_EMAIL_MATCHES = Counter(
    "woo_netsuite_customer_email_matches",
    "New customers linked to an existing NetSuite customer with the same email "
    "(NETSUITE_CUSTOMER_MATCH_EMAIL)",
)
MONEY_BOOKED = Counter(
    "woo_netsuite_money_booked",
    "Payments and refunds written to NetSuite, by record (customerDeposit, creditMemo, cashRefund, "
    "customerRefund); "
    "one the group had forgotten (a retry, a lost memory) is upserted, and counted, again",
    ["record"],
)
for _record in ("customerDeposit", "creditMemo", "cashRefund", "customerRefund"):
    MONEY_BOOKED.labels(_record)  # born at 0: a dashboard's rate() sees the first one
