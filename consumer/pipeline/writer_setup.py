"""Assemble the order writer from settings: item and currency look-ups, mapping and writer policies.

Kept apart from `consumer.member` so the member's assembly names one step, and tests and benchmarks
build the same writer.
"""

from __future__ import annotations

from consumer.netsuite.client import NetSuiteClient
from consumer.netsuite.currency import CurrencyResolver
from consumer.netsuite.items import ItemResolver
from consumer.netsuite.settings import NetSuiteSettings
from consumer.pipeline.calls import CallRetry
from consumer.pipeline.memory import WriteMemory
from consumer.pipeline.sync import OrderWriter


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
    return OrderWriter(
        client,
        items,
        settings.mapping_policy(),
        calls=calls,
        memory=memory,
        currencies=currencies,
        writer_policy=settings.writer_policy(),
    )
