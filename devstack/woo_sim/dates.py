"""WordPress's dates, as WooCommerce's REST API reads and writes them.

Sources (WooCommerce `includes/rest-api/Controllers/Version3/class-wc-rest-crud-controller.php`,
`prepare_objects_query`; WordPress `wp-includes/class-wp-date-query.php`, `build_mysql_datetime`):

* An order has each date twice: `date_modified` in the **site's timezone** and `date_modified_gmt`,
  both `Y-m-d\\TH:i:s` with no offset.
* `modified_after=<ISO-8601>` becomes a `WP_Date_Query` `after` clause (exclusive: `>`) on the column
  `post_modified_gmt` when `dates_are_gmt` is true, else on `post_modified` — the **local** column.
  `dates_are_gmt` defaults to false: a client that sends a UTC time without it filters against local
  times and, on a site west of UTC, skips the orders of the last hours. That is the site-timezone trap.
* The value is parsed with `date_create($value, wp_timezone())` and formatted in the site's timezone:
  a time without offset is taken as it is; a time **with** an offset (`Z`, `+02:00`) is converted to
  the site's zone first — and then still compared with the GMT column when `dates_are_gmt` is true. So
  the only value that means UTC on every site is a naive time together with `dates_are_gmt=true`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WP_FORMAT = "%Y-%m-%dT%H:%M:%S"
# WordPress's REST `date-time` format check (rest_parse_date): RFC 3339 with an optional offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}(:?\d{2})?)?$", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:UTC)?([+-])(\d{1,2})(?::?(\d{2}))?$")


def site_timezone(name: str) -> tzinfo:
    """A site's timezone as WordPress allows it: a city (`America/New_York`) or a manual offset
    (`UTC+2`, `UTC-5:30`, `+02:00`); `UTC` itself."""
    if name.upper() in ("UTC", "GMT", "Z", ""):
        return UTC
    match = _OFFSET.match(name.strip())
    if match:
        sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {name!r}: a city like Europe/Berlin, or UTC+2") from None


def gmt_text(moment: datetime) -> str:
    """`date_*_gmt` of a moment."""
    return moment.astimezone(UTC).strftime(WP_FORMAT)


def local_text(moment: datetime, tz: tzinfo) -> str:
    """`date_*` (site-local) of a moment."""
    return moment.astimezone(tz).strftime(WP_FORMAT)


def parse_gmt(text: str) -> datetime:
    """A `date_*_gmt` value back to an aware moment."""
    return datetime.strptime(text[:19], WP_FORMAT).replace(tzinfo=UTC)


def valid_date_time(value: str) -> bool:
    return bool(_RFC3339.match(value))


def query_bound(value: str, tz: tzinfo) -> str:
    """What `WP_Date_Query` compares a column with: the value read in the site's zone (an explicit
    offset wins and is converted to the site's zone), as naive `Y-m-d\\TH:i:s` text."""
    text = value.strip()
    offset = re.search(r"(Z|[+-]\d{2}:?\d{2}|[+-]\d{2})$", text, re.IGNORECASE)
    base = text[: offset.start()] if offset else text
    moment = datetime.strptime(base.split(".")[0], WP_FORMAT)
    if offset is None:
        return moment.strftime(WP_FORMAT)  # naive: already "in the site's zone", unchanged
    mark = offset.group(1).upper()
    if mark == "Z":
        aware = moment.replace(tzinfo=UTC)
    else:
        digits = mark[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
        delta = timedelta(hours=hours, minutes=minutes)
        aware = moment.replace(tzinfo=timezone(-delta if mark[0] == "-" else delta))
    return aware.astimezone(tz).strftime(WP_FORMAT)
