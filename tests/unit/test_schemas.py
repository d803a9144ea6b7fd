"""The order event schema: round trips, framing, and that changes to it stay compatible."""

from __future__ import annotations

import copy
import json
import struct
import time
from pathlib import Path
from typing import Any

import fastavro
import pytest

from schemas import OrderEvent, WooOrder
from schemas.avro_record import to_record
from schemas.compat import full_compatible
from schemas.serde import (
    SCHEMA_DIR,
    SCHEMA_FILE,
    RegistrySerde,
    SingleObjectSerde,
    UndecodableMessage,
    fingerprint,
    load_schema,
)

DATA = Path(__file__).parents[1] / "data"


def sample_event(name: str = "woo_order_created_body.json") -> OrderEvent:
    raw = (DATA / name).read_bytes()
    return OrderEvent(order=WooOrder.model_validate_json(raw), received_at_ms=1_700_000_000_000, raw_body=raw)


def schema_json() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_FILE.read_text()))


def order_fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    order = next(f for f in schema["fields"] if f["name"] == "order")
    fields: list[dict[str, Any]] = order["type"]["fields"]
    return fields  # the schema's own list: appending to it changes the schema


@pytest.mark.parametrize("name", ["woo_order_created_body.json", "woo_order_v3_docs_example.json"])
def test_single_object_round_trip_keeps_every_schema_field(name: str) -> None:
    serde = SingleObjectSerde()
    event = sample_event(name)
    data = serde.encode(event)
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == fingerprint(load_schema())
    assert to_record(serde.decode(data)) == to_record(event)
    assert serde.decode(data).raw_body == event.raw_body


def test_money_stays_decimal_text_never_float() -> None:
    for field in order_fields(schema_json()):
        if field["name"] in {"total", "total_tax", "discount_total", "shipping_total"}:
            assert field["type"] == "string"
    assert sample_event().order.total == "64.22"


def test_registry_wire_format_round_trip_with_the_mock_registry() -> None:
    serde = RegistrySerde(f"mock://test-{time.monotonic_ns()}")
    event = sample_event()
    data = serde.encode(event, "orders")
    assert data[0] == 0
    assert struct.unpack(">I", data[1:5])[0] >= 1
    assert to_record(serde.decode(data, "orders")) == to_record(event)


@pytest.mark.parametrize(
    "data", [b"", b"{}", b"\xc3\x01" + b"\x00" * 8 + b"x", b"\xc3\x01" + fingerprint(load_schema()) + b"\xff"]
)
def test_garbage_is_undecodable_not_a_crash(data: bytes) -> None:
    with pytest.raises(UndecodableMessage):
        SingleObjectSerde().decode(data)


def test_every_released_schema_is_still_readable_and_reads_the_current_one() -> None:
    current = load_schema()
    history = sorted((SCHEMA_DIR / "history").glob("*.avsc"))
    assert history, "schemas/history/ must keep every released schema"
    for old in history:
        ok, why = full_compatible(load_schema(old), current)
        assert ok, f"{old.name} → current: {why}"


def test_old_data_decodes_with_a_reader_that_added_an_optional_field() -> None:
    v2 = schema_json()
    order_fields(v2).append({"name": "loyalty_tier", "type": ["null", "string"], "default": None})
    reader = fastavro.parse_schema(v2)
    old_bytes = SingleObjectSerde().encode(sample_event())
    serde = SingleObjectSerde(schema=reader)  # knows the v1 fingerprint from schemas/history
    record = serde.decode_record(old_bytes)
    assert record["order"]["loyalty_tier"] is None
    assert record["order"]["total"] == "64.22"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("required field without default", "backward"),
        ("money as a double", "backward"),
        ("removed field without default", "forward"),
    ],
)
def test_incompatible_changes_are_caught(change: str, expected: str) -> None:
    new = copy.deepcopy(schema_json())
    fields = order_fields(new)
    if change == "required field without default":
        fields.append({"name": "warehouse", "type": "string"})
    elif change == "money as a double":
        next(f for f in fields if f["name"] == "total").update(type="double", default=0.0)
    else:
        new["fields"] = [f for f in new["fields"] if f["name"] != "received_at_ms"]
    ok, why = full_compatible(load_schema(), fastavro.parse_schema(new))
    assert not ok
    assert why.startswith(expected)
