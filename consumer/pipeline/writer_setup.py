"""Assemble the order writer from settings: item and currency look-ups, mapping and writer policies,
and with `WOOCOMMERCE_API_URL` the refunds' per-line detail.

Kept apart from `consumer.member` so the member's assembly names one step, and tests and benchmarks
build the same writer.
"""

from __future__ import annotations

from pydantic import ValidationError

from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.currency import CurrencyResolver
from consumer.netsuite.items import ItemResolver
from consumer.netsuite.settings import NetSuiteSettings
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.once import Itemiser
from consumer.pipeline.sync import OrderWriter
from consumer.woocommerce.client import WooClient
from consumer.woocommerce.refunds import QUICK, TIMEOUT_S, WooRefunds
from consumer.woocommerce.settings import WooCommerceSettings


def build_writer(
    settings: NetSuiteSettings, client: NetSuiteClient, calls: CallRetry, memory: WriteMemory
) -> OrderWriter:
    items = ItemResolver(
        client,
        ttl_s=settings.netsuite_item_cache_ttl_s,
        negative_ttl_s=settings.netsuite_item_missing_ttl_s,
        lookup_field=settings.netsuite_item_lookup_field,
    )
    currencies = CurrencyResolver(
        client,
        ttl_s=settings.netsuite_currency_cache_ttl_s,
        missing_ttl_s=settings.netsuite_item_missing_ttl_s,
    )
    writer = OrderWriter(
        client,
        items,
        settings.mapping_policy(),
        calls=calls,
        memory=memory,
        currencies=currencies,
        writer_policy=settings.writer_policy(),
    )
    shop = shop_settings()
    if shop is not None:  # refunds are booked line by line from the shop's refund detail
        quick = shop.model_copy(update={"woocommerce_timeout_s": min(shop.woocommerce_timeout_s, TIMEOUT_S)})
        writer.itemiser = Itemiser(WooRefunds(WooClient(quick, policy=QUICK)), items)
    return writer


def shop_settings() -> WooCommerceSettings | None:
    """The shop's REST API when `WOOCOMMERCE_API_URL` is set (else None); a set but broken
    WooCommerce variable is refused by name, as every setting is."""
    try:
        return WooCommerceSettings()
    except ValidationError as exc:
        if any(e["loc"] == ("woocommerce_api_url",) and e["type"] == "missing" for e in exc.errors()):
            return None
        raise
