"""`/wp-json/wc/v3/orders` (and an order's `/refunds`) and `/wp-json/wc/v3/webhooks`, with
WooCommerce's collection parameters.

Source: `class-wc-rest-crud-controller.php` (`get_collection_params`, `prepare_objects_query`,
`get_objects`, `get_items`) and the webhooks controllers. What a client meets:

| parameter        | rule                                                                           |
|------------------|--------------------------------------------------------------------------------|
| `per_page`       | 1..100, default 10; anything else 400 `rest_invalid_param`                     |
| `page`           | ≥ 1, default 1; past the last page: `[]` with the real totals                  |
| `orderby`/`order`| `date` (default), `id`, `modified`, ...; `desc` (default) or `asc`; `date` |
|                  | and `modified` sort by that date, then by ID (ties keep a stable order)        |
| `modified_after` | exclusive, on the GMT column only with `dates_are_gmt=true` (`dates.py`)        |
| `status`         | `any` (default): every order but trash                                         |
| answer           | a JSON array; `X-WP-Total`, `X-WP-TotalPages`, `Link` rel=prev/next             |
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from devstack.woo_sim.dates import query_bound, valid_date_time
from devstack.woo_sim.messages import Request, Response, RestError, invalid_params
from devstack.woo_sim.store import Order, ShopStore

PREFIX = "/wp-json/wc/v3/"
_ORDERBY = ("date", "id", "include", "title", "slug", "modified")
_TRUE, _FALSE = ("true", "1"), ("false", "0", "")


def handle_rest(request: Request, store: ShopStore) -> Response:
    parts = [p for p in request.path[len(PREFIX) :].split("/") if p]
    if parts == ["orders"] and request.method == "GET":
        return list_orders(request, store)
    if len(parts) == 2 and parts[0] == "orders" and request.method == "GET":
        found = store.get(_int_id(parts[1]))
        if found is None:
            raise RestError(404, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
        return Response(200, found)
    if len(parts) == 3 and parts[0] == "orders" and parts[2] == "refunds" and request.method == "GET":
        return list_refunds(request, store, _int_id(parts[1]))
    if parts == ["webhooks"] and request.method == "GET":
        return list_webhooks(request, store)
    if len(parts) == 2 and parts[0] == "webhooks" and request.method in ("GET", "PUT"):
        return one_webhook(request, store, _int_id(parts[1]))
    raise RestError(404, "rest_no_route", "No route was found matching the URL and request method.")


def _int_id(text: str) -> int:
    if not text.isdigit():
        raise RestError(404, "rest_no_route", "No route was found matching the URL and request method.")
    return int(text)


def _paging(query: dict[str, str], problems: dict[str, str]) -> tuple[int, int]:
    def integer(name: str, default: int) -> int:
        raw = query.get(name, str(default))
        if not raw.lstrip("-").isdigit():
            problems[name] = f"{name} is not of type integer."
            return default
        return int(raw)

    per_page, page = integer("per_page", 10), integer("page", 1)
    if not 1 <= per_page <= 100:
        problems["per_page"] = "per_page must be between 1 (inclusive) and 100 (inclusive)"
    if page < 1:
        problems["page"] = "page must be greater than or equal to 1"
    return per_page, page


def list_orders(request: Request, store: ShopStore) -> Response:
    q = request.query
    problems: dict[str, str] = {}
    per_page, page = _paging(q, problems)
    orderby, order = q.get("orderby", "date"), q.get("order", "desc")
    if orderby not in _ORDERBY:
        problems["orderby"] = f"orderby is not one of {', '.join(_ORDERBY)}."
    if order not in ("asc", "desc"):
        problems["order"] = "order is not one of asc and desc."
    gmt_raw = q.get("dates_are_gmt", "false").lower()
    if gmt_raw not in _TRUE + _FALSE:
        problems["dates_are_gmt"] = "dates_are_gmt is not of type boolean."
    gmt = gmt_raw in _TRUE
    bounds: list[tuple[str, str, str]] = []  # (column, op, bound text)
    for name, column, op in (
        ("after", "date_created", ">"),
        ("before", "date_created", "<"),
        ("modified_after", "date_modified", ">"),
        ("modified_before", "date_modified", "<"),
    ):
        if name in q:
            if not valid_date_time(q[name]):
                problems[name] = "Invalid date."
            else:
                bounds.append((column + ("_gmt" if gmt else ""), op, query_bound(q[name], store.tz)))
    statuses = [s for s in q.get("status", "any").split(",") if s]
    if problems:
        raise invalid_params(problems)

    def keep(o: Order) -> bool:
        status = o.get("status")
        if statuses != ["any"] and status not in statuses:
            return False
        if statuses == ["any"] and status == "trash":
            return False
        for column, op, bound in bounds:
            value = o.get(column)
            if value is None or not (value > bound if op == ">" else value < bound):
                return False
        return True

    def sort_key(o: Order) -> tuple[Any, ...]:
        if orderby in ("date", "modified"):
            column = "date_created_gmt" if orderby == "date" else "date_modified_gmt"
            return (o.get(column) or "", o["id"])
        return (o["id"],)

    found = store.select(keep, sort_key, descending=order == "desc")
    total, pages = len(found), math.ceil(len(found) / per_page)
    body = found[(page - 1) * per_page : page * per_page]
    return Response(200, body, _collection_headers(request, total, pages, page))


def list_refunds(request: Request, store: ShopStore, order_id: int) -> Response:
    """An order's refunds, newest first, paged like every collection."""
    problems: dict[str, str] = {}
    per_page, page = _paging(request.query, problems)
    if problems:
        raise invalid_params(problems)
    found = store.refunds(order_id)
    if found is None:
        raise RestError(404, "woocommerce_rest_order_invalid_id", "Invalid order ID.")
    pages = math.ceil(len(found) / per_page)
    body = found[(page - 1) * per_page : page * per_page]
    return Response(200, body, _collection_headers(request, len(found), pages, page))


def _collection_headers(request: Request, total: int, pages: int, page: int) -> dict[str, str]:
    url = request.base_url + request.path
    links = []
    if page > 1:
        links.append(f'<{url}?{urlencode({**request.query, "page": min(page - 1, pages)})}>; rel="prev"')
    if pages > page:
        links.append(f'<{url}?{urlencode({**request.query, "page": page + 1})}>; rel="next"')
    headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def list_webhooks(request: Request, store: ShopStore) -> Response:
    problems: dict[str, str] = {}
    per_page, page = _paging(request.query, problems)
    status = request.query.get("status", "all")
    if status not in ("all", "active", "paused", "disabled"):
        problems["status"] = "status is not one of all, active, paused, and disabled."
    if problems:
        raise invalid_params(problems)
    hooks = [w.rest() for w in store.webhook_list() if status in ("all", w.status)]
    pages = math.ceil(len(hooks) / per_page)
    body = hooks[(page - 1) * per_page : page * per_page]
    return Response(200, body, _collection_headers(request, len(hooks), pages, page))


def one_webhook(request: Request, store: ShopStore, webhook_id: int) -> Response:
    if webhook_id not in store.webhooks:
        raise RestError(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
    if request.method == "PUT":
        data = request.json_body()
        if isinstance(data, dict) and "status" in data:
            try:
                store.set_webhook_status(webhook_id, str(data["status"]))
            except ValueError:
                raise invalid_params(
                    {"status": "status is not one of active, paused, and disabled."}
                ) from None
    [hook] = [w for w in store.webhook_list() if w.id == webhook_id]
    return Response(200, hook.rest())
