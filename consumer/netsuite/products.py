"""Product lines as NetSuite shows them: which lines count, their SKU, their description.

Descriptions are for people reading the order (the item record holds the real name): WooCommerce's
name with HTML entities decoded and tags removed, plus the variation attributes it shows, cut to 250.
"""

from __future__ import annotations

import html
import re

from consumer.errors import Unmappable
from consumer.netsuite.addresses import cut, width
from consumer.netsuite.money import exact
from schemas.order import LineItem, WooOrder

DESCRIPTION_LIMIT = 250
_TAG = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"\s+")


def plain_text(text: str) -> str:
    """HTML entities decoded, tags removed, whitespace collapsed: `&ndash;` becomes an en dash."""
    return _SPACES.sub(" ", _TAG.sub("", html.unescape(text))).strip()


def short(text: str) -> str:
    return cut(text, DESCRIPTION_LIMIT)[0].rstrip() if width(text) > DESCRIPTION_LIMIT else text


def product_lines(order: WooOrder, warnings: list[str] | None = None) -> list[LineItem]:
    """The product lines that become NetSuite lines (zero-quantity, zero-money ones are dropped)."""
    kept = []
    for li in order.line_items:
        if li.quantity == 0:
            if exact(li.subtotal, field=f"line {li.id} subtotal") or exact(
                li.total, field=f"line {li.id} total"
            ):
                raise Unmappable(f"line {li.id} has quantity 0 but an amount: cannot be priced")
            if warnings is not None:
                warnings.append(f"line {li.id}: quantity 0 and no amount, left out")
            continue
        kept.append(li)
    return kept


def sku_of(li: LineItem) -> str:
    sku = li.sku.strip()
    if not sku:
        raise Unmappable(f"line {li.id} has no SKU: cannot resolve a NetSuite item")
    return sku


def describe_product(li: LineItem) -> str:
    """Product name plus the variation attributes WooCommerce shows, unless the name has them."""
    name = plain_text(li.name)
    extras = []
    for meta in li.meta_data:
        key = plain_text(meta.display_key or "")
        if not key or key.startswith("_") or meta.key.startswith("_"):
            continue
        if not isinstance(meta.display_value, str | int | float) or isinstance(meta.display_value, bool):
            continue
        value = plain_text(str(meta.display_value))
        if not value or width(value) > 60 or value.casefold() in name.casefold():
            continue
        extras.append(f"{key}: {value}")
    return short(f"{name} ({', '.join(extras)})" if extras else name)
