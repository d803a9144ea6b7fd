"""`SlimWebhookOrder` (schemas/order_slim.py) decides as `WebhookOrder` does, without unknown fields."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from schemas import order_slim
from schemas.avro_record import to_record
from schemas.order import OrderEvent, WebhookOrder, order_errors

DATA = Path(__file__).parents[1] / "data"
SAMPLES = [json.loads(p.read_bytes()) for p in sorted(DATA.glob("woo_order*.json"))]
PAIRS = [
    (slim, slim.__mro__[1])
    for slim in vars(order_slim).values()
    if isinstance(slim, type) and issubclass(slim, BaseModel) and slim.__name__.startswith("Slim")
]


@pytest.mark.parametrize(("slim", "base"), PAIRS, ids=lambda c: c.__name__)
def test_each_slim_class_declares_its_bases_fields_alike(
    slim: type[BaseModel], base: type[BaseModel]
) -> None:
    assert slim.__name__ == f"Slim{base.__name__}"
    assert slim.model_config["extra"] == "ignore"
    assert slim.model_fields.keys() == base.model_fields.keys()
    for name, field in slim.model_fields.items():
        theirs = base.model_fields[name]
        assert str(field.annotation).replace("order_slim.Slim", "order.") == str(theirs.annotation), name
        assert repr(field.metadata) == repr(theirs.metadata), name
        assert field.is_required() == theirs.is_required(), name
        assert field.get_default(call_default_factory=True) == theirs.get_default(
            call_default_factory=True
        ) or (
            field.default_factory
            and field.get_default(call_default_factory=True).model_dump()
            == theirs.get_default(call_default_factory=True).model_dump()
        ), name


def _models(value: Any) -> list[BaseModel]:
    if isinstance(value, BaseModel):
        return [value] + [m for name in type(value).model_fields for m in _models(getattr(value, name))]
    if isinstance(value, list):
        return [m for item in value for m in _models(item)]
    return []


def _verdict(model: type[WebhookOrder], body: bytes) -> Any:
    try:
        order = model.model_validate_json(body)
    except ValidationError as exc:
        return [(e["loc"], e["msg"], e["type"]) for e in order_errors(exc)]
    return to_record(OrderEvent(order=order, raw_body=body))


@pytest.mark.parametrize("sample", SAMPLES, ids=["created", "v3 docs"])
def test_the_samples_give_the_same_record_and_no_unknown_field_is_built(sample: dict[str, Any]) -> None:
    body = json.dumps(sample).encode()
    assert _verdict(order_slim.SlimWebhookOrder, body) == _verdict(WebhookOrder, body)
    order = order_slim.SlimWebhookOrder.model_validate_json(body)
    assert all(not m.model_extra for m in _models(order))
    assert any(m.model_extra for m in _models(WebhookOrder.model_validate_json(body)))


ODD = [None, "", "x", 0, -1, 1.5, True, [], {}, [1], {"a": 1}, 2**64, "1e5", "12.50", "2025-02-30T00:00:00"]
PATHS = [
    ("id",), ("status",), ("total",), ("billing",), ("billing", "postcode"), ("shipping",),
    ("date_created_gmt",), ("date_paid_gmt",), ("line_items",), ("line_items", 0, "quantity"),
    ("line_items", 0, "taxes"), ("line_items", 0, "taxes", 0, "total"), ("line_items", 0, "meta_data"),
    ("line_items", 0, "meta_data", 0, "value"), ("shipping_lines", 0, "total"), ("fee_lines", 0, "taxes"),
    ("coupon_lines", 0, "discount"), ("tax_lines", 0, "rate_id"), ("refunds",), ("_links",), ("unknown",),
]  # fmt: skip


def _set(order: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """`value` at `path` when the containers on the way exist (a shorter path otherwise: none)."""
    target: Any = order
    for step in path[:-1]:
        inside = target.get(step) if isinstance(target, dict) else None
        if isinstance(target, list) and isinstance(step, int) and target:
            inside = target[step]
        if not isinstance(inside, dict | list) or inside == []:
            return
        target = inside
    if isinstance(target, dict):
        target[path[-1]] = value


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(range(len(SAMPLES))),
    st.lists(st.tuples(st.sampled_from(PATHS), st.sampled_from(ODD)), max_size=3),
    st.sets(
        st.sampled_from(["status", "total", "billing", "line_items", "date_modified_gmt", "id"]), max_size=2
    ),
)
def test_any_change_to_an_order_gets_the_same_verdict(
    sample: int, changes: list[tuple[tuple[Any, ...], Any]], dropped: set[str]
) -> None:
    order = copy.deepcopy(SAMPLES[sample])
    for path, value in changes:
        _set(order, path, value)
    for name in dropped:
        order.pop(name, None)
    body = json.dumps(order).encode()
    verdict = _verdict(WebhookOrder, body)
    event("accepted" if isinstance(verdict, dict) else "refused")
    assert _verdict(order_slim.SlimWebhookOrder, body) == verdict
