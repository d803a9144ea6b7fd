"""The shop-local date of a GMT timestamp, for `tranDate` of records an order's later events create.

WooCommerce sends `date_created` in the site's time zone next to `date_created_gmt`; their
difference is the shop's offset, which moves `date_paid_gmt` or `date_modified_gmt` to the shop's
day: a payment at 02:30 GMT in New York is booked on the evening before, as the sales order is.
The offset of the order's creation is used (a daylight-saving change between creation and payment
can move a record near midnight by one day). Without a readable `date_created` the GMT date is used,
with a warning.
"""

from __future__ import annotations

from datetime import datetime

from schemas.order import WooOrder

_FORMAT = "%Y-%m-%dT%H:%M:%S"


def shop_date(gmt: str, order: WooOrder, warnings: list[str]) -> str:
    """`gmt` (WooCommerce's naive GMT timestamp) as a date in the shop's time zone."""
    try:
        offset = _parse(order.date_created or "") - _parse(order.date_created_gmt or "")
        return (_parse(gmt) + offset).date().isoformat()
    except ValueError:  # absent, or a record written before the receiver checked dates
        warnings.append("no readable date_created (shop-local time): dated by GMT")
        return gmt[:10]


def _parse(text: str) -> datetime:
    return datetime.strptime(text[:19], _FORMAT)
