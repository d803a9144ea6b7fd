"""The validators' fast paths (schemas/order.py) decide exactly as the checks they stand in for.

Each fast path exists only for speed (the receiver validates every webhook); these properties pin
that what it accepts, and the value it keeps, are what the slow check gives.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from schemas.avro_record import to_record
from schemas.order import (
    FINE_MONEY_FAST_PATTERN,
    OrderEvent,
    WooOrder,
    _fine_money,
    order_errors,
    real_time,
)
from schemas.serde import SingleObjectSerde, UndecodableMessage

# ASCII, Arabic-Indic and fullwidth digits: `\d` matches all three
DIGITS = "0123456789" + "\u0660\u0661\u0662\u0663" + "\uff10\uff19"


def _strptime_accepts(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return False
    return True


_two = st.text(DIGITS, min_size=2, max_size=2)
_near = st.sampled_from(["00", "01", "02", "09", "12", "13", "23", "24", "28", "29", "30", "31", "59", "60"])
_pair = st.one_of(_near, _two)
_years = ["0000", "0001", "1900", "2000", "2024", "2025", "2100", "9999"]
_year = st.one_of(st.sampled_from(_years), st.text(DIGITS, min_size=4, max_size=4))


@settings(max_examples=3000, deadline=None)
@given(_year, _pair, _pair, _pair, _pair, _pair)
def test_real_time_agrees_with_strptime(year: str, mon: str, day: str, hour: str, mi: str, sec: str) -> None:
    text = f"{year}-{mon}-{day}T{hour}:{mi}:{sec}"
    assert real_time(text) == _strptime_accepts(text)


@pytest.mark.parametrize(
    ("text", "real"),
    [
        ("2024-02-29T23:59:59", True),
        ("2025-02-29T00:00:00", False),
        ("2100-02-29T00:00:00", False),
        ("2000-02-29T00:00:00", True),
        ("0000-01-01T00:00:00", False),
        ("2025-03-14T09:15:60", False),
        ("\u0662\u0660\u0662\u0665-03-14T09:15:30", True),  # strptime reads any Unicode digit in %Y
    ],
)
def test_real_time_examples(text: str, real: bool) -> None:
    assert real_time(text) is real is _strptime_accepts(text)


_decimal_text = st.from_regex(r"\A-?[0-9]{1,13}(\.[0-9]{0,10})?\Z", fullmatch=True)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(_decimal_text, st.from_regex(FINE_MONEY_FAST_PATTERN, fullmatch=True)))
def test_what_the_fine_money_fast_path_takes_the_validator_keeps_unchanged(text: str) -> None:
    if re.search(FINE_MONEY_FAST_PATTERN, text):
        assert _fine_money(text) == text


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("6.8058", "6.8058"),
        ("0.93100000000000005", "0.93100000"),
        ("007.5", "7.5"),
        ("0.0000001", "1E-7"),
        (" 1.5 ", "1.5"),
        (0.931, "0.931"),
        (None, "0"),
        (3, "3"),
    ],
)
def test_tax_shares_are_kept_as_before(given: Any, kept: str) -> None:
    order = WooOrder.model_validate({"id": 1, "line_items": [{"taxes": [{"total": given}]}]})
    assert order.line_items[0].taxes[0].total == kept == _fine_money(given)
    assert str(Decimal(kept)) == kept


@pytest.mark.parametrize(("given", "message"), [("1e5", "not a decimal amount"), (True, "a tax amount")])
def test_a_bad_tax_share_has_one_error_at_its_place(given: Any, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        WooOrder.model_validate({"id": 1, "fee_lines": [{"taxes": [{"subtotal": given}]}]})
    [error] = order_errors(exc.value)
    assert error["loc"] == ("fee_lines", 0, "taxes", 0, "subtotal")
    assert message in error["msg"]


def test_a_record_refused_on_decoding_names_the_field_not_the_union_branches() -> None:
    serde = SingleObjectSerde()
    order = WooOrder.model_validate({"id": 1, "line_items": [{"taxes": [{"total": "1.5"}]}]})
    record = to_record(OrderEvent(order=order))
    record["order"]["line_items"][0]["taxes"][0]["total"] = "junk"
    with pytest.raises(UndecodableMessage) as exc:
        serde.decode(serde.encode_record(record))
    assert "line_items.0.taxes.0.total: Value error, not a decimal amount" in str(exc.value)
    assert "fast-path" not in str(exc.value)
    assert "checked" not in str(exc.value)
