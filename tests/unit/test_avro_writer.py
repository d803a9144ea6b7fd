"""The compiled Avro writer (schemas/avro_writer.py) writes fastavro's bytes, or leaves it to fastavro."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import fastavro
import pytest
from fastavro.utils import generate_many
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.avro_record import to_record
from schemas.avro_writer import compile_writer
from schemas.order import OrderEvent, WooOrder
from schemas.serde import SCHEMA_DIR, SINGLE_OBJECT_MAGIC, SingleObjectSerde, fingerprint, load_schema

DATA = Path(__file__).parents[1] / "data"
SCHEMAS = [SCHEMA_DIR / "order_event.avsc", *sorted((SCHEMA_DIR / "history").glob("*.avsc"))]


def _fastavro(schema: Any, record: Any) -> bytes:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, schema, record)
    return buf.getvalue()


def _schema(*fields: dict[str, Any]) -> Any:
    return fastavro.parse_schema({"type": "record", "name": "R", "fields": list(fields)})


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_random_records_of_every_released_schema_are_written_as_fastavro_writes_them(path: Path) -> None:
    schema = load_schema(path)
    write = compile_writer(schema)
    for record in generate_many(schema, 300):
        assert write(record) == _fastavro(schema, record)


@pytest.mark.parametrize("sample", sorted(DATA.glob("woo_order*.json")), ids=lambda p: p.name)
def test_the_sample_orders_encode_to_the_same_bytes(sample: Path) -> None:
    raw = sample.read_bytes()
    event = OrderEvent(
        order=WooOrder.model_validate_json(raw), received_at_ms=1_700_000_000_123, raw_body=raw
    )
    serde = SingleObjectSerde()
    expected = SINGLE_OBJECT_MAGIC + fingerprint(serde.schema) + _fastavro(serde.schema, to_record(event))
    assert serde.encode(event) == expected


def test_longs_at_every_varint_width_and_both_limits() -> None:
    schema = _schema({"name": "n", "type": "long"}, {"name": "t", "type": "string"})
    write = compile_writer(schema)
    edges = [0, -1, 63, -64, 64, -65, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63)]
    for n in edges + [2**k for k in range(62)] + [-(2**k) for k in range(62)] + list(range(-8300, 8300, 7)):
        record = {"n": n, "t": "x" * (n % 3000 if n >= 0 else 1)}
        assert write(record) == _fastavro(schema, record)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ({"name": "f", "type": "long"}, True),  # fastavro writes a bool as 1
        ({"name": "f", "type": "long"}, 7.0),
        ({"name": "f", "type": "bytes"}, bytearray(b"abc")),
        ({"name": "f", "type": "string", "default": "d"}, None),  # missing: the default
        ({"name": "f", "type": ["null", "string"], "default": None}, None),
    ],
)
def test_what_the_compiled_writer_was_not_built_for_gets_fastavros_bytes(field: Any, value: Any) -> None:
    schema = _schema(field)
    record = {} if value is None else {"f": value}
    serde = SingleObjectSerde(schema=schema)
    expected = SINGLE_OBJECT_MAGIC + fingerprint(schema) + _fastavro(schema, record)
    assert serde.encode_record(record) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ({"name": "f", "type": "long"}, 2**63),
        ({"name": "f", "type": "long"}, "5"),
        ({"name": "f", "type": "string"}, None),
        ({"name": "f", "type": "string"}, "\ud800"),
        ({"name": "f", "type": ["null", "string"]}, 5),
        ({"name": "f", "type": {"type": "array", "items": "long"}}, None),
    ],
)
def test_a_record_that_does_not_fit_raises_what_fastavro_raises(field: Any, value: Any) -> None:
    schema = _schema(field)
    try:
        _fastavro(schema, {"f": value})
    except Exception as exc:
        expected: type[Exception] = type(exc)
    else:
        pytest.fail("fastavro wrote it")
    with pytest.raises(expected):
        SingleObjectSerde(schema=schema).encode_record({"f": value})


@pytest.mark.parametrize(
    "field",
    [
        {"name": "f", "type": {"type": "enum", "name": "E", "symbols": ["A"]}},
        {"name": "f", "type": {"type": "map", "values": "long"}},
        {"name": "f", "type": ["null", "string", "long"]},
        {"name": "f", "type": "double"},
        {"name": "f", "type": {"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}},
    ],
)
def test_other_schemas_are_left_to_fastavro(field: Any) -> None:
    schema = _schema(field)
    with pytest.raises(NotImplementedError):
        compile_writer(schema)
    record = next(iter(generate_many(schema, 1)))
    assert SingleObjectSerde(schema=schema).encode_record(record)[10:] == _fastavro(schema, record)


def test_a_recursive_record_type() -> None:
    schema = _schema({"name": "v", "type": "long"}, {"name": "next", "type": ["null", "R"]})
    record = {"v": 1, "next": {"v": 2, "next": {"v": -3, "next": None}}}
    assert compile_writer(schema)(record) == _fastavro(schema, record)


_json_value = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
_line = st.fixed_dictionaries(
    {"id": st.integers(0, 2**63 - 1), "name": st.text(max_size=30), "quantity": st.integers(0, 10**6)},
    optional={
        "sku": st.text(max_size=10),
        "total": st.sampled_from(["0", "12.50", "-0.01", "999999999999.99"]),
        "taxes": st.lists(
            st.fixed_dictionaries({"id": st.integers(0, 99), "total": st.sampled_from(["0.931", "6.8058"])})
        ),
        "meta_data": st.lists(
            st.fixed_dictionaries(
                {"key": st.text(max_size=10), "value": _json_value},
                optional={"display_key": st.none() | st.text(max_size=5), "display_value": _json_value},
            ),
            max_size=3,
        ),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 2**63 - 1),
    st.lists(_line, max_size=4),
    st.none() | st.sampled_from(["2025-03-14T09:15:30", "1999-12-31T23:59:59Z"]),
    st.text(max_size=40),
    st.integers(0, 2**62),
)
def test_events_are_written_from_their_attributes_as_to_record_and_fastavro_write_them(
    order_id: int, lines: list[dict[str, Any]], paid: str | None, note: str, received: int
) -> None:
    order = WooOrder.model_validate(
        {"id": order_id, "line_items": lines, "date_paid_gmt": paid, "customer_note": note, "billing": []}
    )
    event = OrderEvent(order=order, received_at_ms=received, webhook_id="12", raw_body=note.encode())
    serde = SingleObjectSerde()
    expected = SINGLE_OBJECT_MAGIC + fingerprint(serde.schema) + _fastavro(serde.schema, to_record(event))
    assert serde.encode(event) == expected


def test_an_event_the_attribute_writer_was_not_built_for_goes_through_to_record() -> None:
    raw = (DATA / "woo_order_created_body.json").read_bytes()
    odd = OrderEvent.model_construct(  # a datetime where the record has its long: fastavro converts it
        order=WooOrder.model_validate_json(raw),
        received_at_ms=datetime(2025, 3, 14, tzinfo=UTC),
        raw_body=raw,
    )
    serde = SingleObjectSerde()
    expected = SINGLE_OBJECT_MAGIC + fingerprint(serde.schema) + _fastavro(serde.schema, to_record(odd))
    assert serde.encode(odd) == expected


def test_objects_are_read_by_attribute_and_computed_fields_by_their_function() -> None:
    schema = _schema(
        {"name": "n", "type": "long"}, {"name": "from", "type": "string"}, {"name": "c", "type": "string"}
    )
    record = SimpleNamespace(n=5, c="ignored", **{"from": "x"})
    write = compile_writer(schema, {"c": lambda r: f"{r.n}!"})
    assert write(record) == _fastavro(schema, {"n": 5, "from": "x", "c": "5!"})
