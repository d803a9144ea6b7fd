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
from pydantic import ValidationError

from schemas import OrderEvent, WooOrder
from schemas.avro_record import to_record
from schemas.compat import full_compatible
from schemas.order import Address, order_errors
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


def _order(**fields: Any) -> WooOrder:
    return WooOrder.model_validate_json(json.dumps({"id": 7, **fields}))


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("64.22", "64.22"),
        ("-0.50", "-0.50"),
        (" 12.50 ", "12.50"),
        ("12\n", "12"),
        (None, "0"),
        ("", "0"),
        (12, "12"),
    ],
)
def test_money_keeps_decimal_text_and_accepts_ints_and_none(given: Any, kept: str) -> None:
    order = _order(total=given, line_items=[{"total": given}])
    assert (order.total, order.line_items[0].total) == (kept, kept)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (12.5, "Value error, money must be a decimal string, not a float"),
        (True, "Value error, money must be a decimal string, not a float"),
        ("1e5", "Value error, not a decimal amount: '1e5'"),
        ("12,50", "Value error, not a decimal amount: '12,50'"),
        ({"a": 1}, "Value error, not a decimal amount"),
        ("1" * 13, "Value error, amount out of range"),
        ("1." + "0" * 9, "Value error, amount out of range"),
        ("1" * 27 + ".00", "Value error, amount out of range"),
    ],
)
def test_money_refuses_floats_and_junk_with_one_error_per_field(given: Any, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _order(shipping_lines=[{"total": given}])
    [error] = order_errors(exc.value)  # the fast path's branch is not reported
    assert error["loc"] == ("shipping_lines", 0, "total")
    assert error["msg"].startswith(message)


@pytest.mark.parametrize(
    ("given", "kept"),
    [("Köln", "Köln"), ("", ""), (None, ""), (12345, "12345"), (1.5, "1.5"), (True, "True")],
)
def test_text_keeps_strings_and_turns_none_and_numbers_into_text(given: Any, kept: str) -> None:
    assert _order(billing={"postcode": given}).billing.postcode == kept


@pytest.mark.parametrize("given", [{"a": 1}, [1]])
def test_text_refuses_objects_and_arrays(given: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        _order(billing={"city": given})
    [error] = order_errors(exc.value)
    assert (error["loc"], error["msg"]) == (("billing", "city"), "Value error, expected text")


def test_the_largest_amounts_accepted_map_exactly() -> None:
    """The bound is there so the mapping's arithmetic never fails: the extremes still round-trip."""
    from consumer.netsuite.money import parse_money, to_json_number

    for text in ("9" * 12 + ".99999999", "-" + "9" * 12 + ".5"):
        order = _order(total=text)
        for currency in ("USD", "JPY", "KWD"):
            amount = parse_money(order.total, currency, field="total")
            assert to_json_number(amount, field="total") == float(amount)


@pytest.mark.parametrize(
    "given", ["2025-03-14T24:00:00", "2025-02-30T10:00:00", "2025-13-01T00:00:00", "2025-03-14T10:61:00"]
)
def test_timestamps_must_be_real_dates_and_times(given: str) -> None:
    with pytest.raises(ValidationError) as exc:
        _order(date_created_gmt=given)
    [error] = order_errors(exc.value)
    assert error["msg"].startswith("Value error, not a real date and time")


def test_php_empty_arrays_are_empty_addresses() -> None:
    order = _order(billing=[], shipping=[])
    assert order.billing == order.shipping == Address()


@pytest.mark.parametrize(
    "fields",
    [
        {"id": 2**63},
        {"customer_id": 2**63},
        {"parent_id": -(2**63) - 1},
        {"line_items": [{"id": 2**63}]},
        {"line_items": [{"quantity": 2**63}]},
        {"tax_lines": [{"id": 2**63}]},
    ],
)
def test_integers_beyond_avro_long_are_refused_at_validation(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WooOrder.model_validate_json(json.dumps({"id": 7, **fields}))


def test_integers_at_the_avro_long_limits_round_trip() -> None:
    order = _order(customer_id=2**63 - 1, parent_id=-(2**63), line_items=[{"id": 2**63 - 1, "quantity": 3}])
    event = OrderEvent(order=order, raw_body=b"{}")
    assert SingleObjectSerde().decode(SingleObjectSerde().encode(event)).order == order


def test_v2_carries_local_date_line_taxes_and_rate_ids() -> None:
    event = SingleObjectSerde().decode(SingleObjectSerde().encode(sample_event()))
    order = event.order
    assert order.date_created == "2025-03-14T10:15:30"  # the shop's time zone, one hour ahead of GMT
    assert [(t.id, t.total, t.subtotal) for t in order.line_items[0].taxes] == [(1, "6.8058", "7.562")]
    assert [(t.id, t.total) for t in order.shipping_lines[0].taxes] == [(1, "0.931")]
    assert [(t.id, t.total) for t in order.fee_lines[0].taxes] == [(1, "0.38")]
    assert (order.tax_lines[0].rate_id, order.tax_lines[0].rate_percent) == (1, "19")


def test_a_v1_record_decodes_without_the_v2_fields() -> None:
    v1 = load_schema(SCHEMA_DIR / "history" / "v1.avsc")
    record = to_record(sample_event())
    v1_order_fields = {f["name"] for f in v1["fields"][5]["type"]["fields"]}
    record["order"] = {k: v for k, v in record["order"].items() if k in v1_order_fields}
    for name in ("line_items", "shipping_lines", "fee_lines"):
        record["order"][name] = [
            {k: v for k, v in li.items() if k != "taxes"} for li in record["order"][name]
        ]
    record["order"]["tax_lines"] = [
        {k: v for k, v in t.items() if k not in ("rate_id", "rate_percent")}
        for t in record["order"]["tax_lines"]
    ]
    old_bytes = SingleObjectSerde(schema=v1).encode_record(record)
    order = SingleObjectSerde().decode(old_bytes).order
    assert order.date_created is None
    assert order.line_items[0].taxes == []
    assert (order.tax_lines[0].rate_id, order.total) == (0, "64.22")


@pytest.mark.parametrize(
    ("given", "kept"),
    [("0.93100000000000005", "0.93100000"), ("6.8058", "6.8058"), (0.931, "0.931"), ("", "0"), (2, "2")],
)
def test_line_tax_shares_keep_full_precision_up_to_eight_decimals(given: Any, kept: str) -> None:
    order = _order(line_items=[{"id": 1, "taxes": [{"id": 1, "total": given, "subtotal": ""}]}])
    assert order.line_items[0].taxes[0].total == kept
