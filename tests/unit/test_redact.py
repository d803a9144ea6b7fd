"""The reason a dead letter carries (`x-error-message`) holds none of the order's personal data, in
the forms NetSuite's error detail may echo it: the guest customer's external id (an escaped email)
and the phone number written without its spaces."""

from __future__ import annotations

import time

import pytest

from consumer.audit.compare import shown
from consumer.pipeline.redact import MARK, _phone_patterns, redact
from devstack.demo_orders import OrderFactory
from schemas.order import WooOrder


def guest_order() -> WooOrder:
    raw = OrderFactory(seed=3).order(11)
    raw["customer_id"] = 0
    raw["billing"]["email"] = "Anna.Smith@Example.com"
    raw["billing"]["phone"] = "+49 170 1234567"
    return WooOrder.model_validate(raw)


@pytest.mark.parametrize(
    "echoed",
    [
        "Invalid reference WOO_GUEST_anna_smith-at-example_com for field entity",
        "Invalid reference WOO_EU_GUEST_anna_smith-at-example_com for field entity",  # a store code
        "Record WOO_GUEST_anna_smith-at-example_com--h0123456789abcdef exists",  # a shortened id
    ],
)
def test_a_guest_customers_external_id_is_redacted(echoed: str) -> None:
    text = redact(echoed, guest_order())
    assert "anna" not in text
    assert f"GUEST_{MARK}" in text
    assert text.endswith(("for field entity", "exists"))  # the reason itself stays


@pytest.mark.parametrize(
    "echoed",
    [
        "+491701234567",
        "+49-170-123 4567",
        "49 (170) 1234567",
        "00491701234567",  # the international prefix spelt out
        "0170 1234567",  # the national form
        "+49 (0)170 1234567",
    ],
)
def test_the_orders_phone_is_redacted_however_it_is_spaced(echoed: str) -> None:
    text = redact(f"Invalid phone number {echoed} for field phone", guest_order())
    assert text == f"Invalid phone number {MARK} for field phone"


def test_other_digits_stay_amounts_ids_and_codes_are_the_reason() -> None:
    text = "Order 4917012 line 2: amount 1234567.00 does not match; code 170; id 5491701234567"
    assert redact(text, guest_order()) == text


@pytest.mark.parametrize(
    ("phone", "text"),
    [
        ("12 34 56", "amount 123456.00"),  # too short to tell from an amount
        ("+45 20 12 34 56", "amount 123456.00"),  # a 3-digit code would leave 6 digits
        ("20 12 34 56", "order 23456"),
        ("555-123-4567", "ids 1234567 and 1234567.00"),
        ("12345678", "amount 45678.00"),
        ("0000000000", "host 0.0.0.0"),
    ],
)
def test_a_phone_redacts_its_own_digits_never_a_shorter_number(phone: str, text: str) -> None:
    raw = guest_order().model_dump()
    raw["billing"]["phone"] = phone
    order = WooOrder.model_validate(raw)
    assert redact(f"{text}; phone {phone}", order) == f"{text}; phone {MARK}"


def test_a_phone_longer_than_e164_allows_is_redacted_only_as_written() -> None:
    """The order's fields have no length limit, and building digit patterns costs ~130 µs a digit
    (2 s for 20,000): only phones E.164 allows (at most 15 digits) get them."""
    raw = guest_order().model_dump()
    raw["billing"]["phone"] = "1" * 20_000
    order = WooOrder.model_validate(raw)
    assert _phone_patterns(order) == []
    assert redact(f"phone {'1' * 20_000}", order) == f"phone {MARK}"


@pytest.mark.parametrize("filler", ["1", " ", "+49 "])
def test_long_runs_are_scanned_in_linear_time(filler: str) -> None:
    """The email pattern restarted at every character of a long word (quadratic: 2.9 s on 20,000
    characters), and the phone patterns tried every space of a run of them. Ten times the text must
    take about ten times as long, not a hundred."""
    order = guest_order()

    def seconds(n: int) -> float:
        started = time.perf_counter()
        redact(filler * (n // len(filler)) + " x", order)
        return time.perf_counter() - started

    small, large = seconds(20_000), seconds(200_000)
    assert large < max(30 * small, 0.2), (small, large)


@pytest.mark.parametrize("key", ["WOO_GUEST_anna_smith-at-example_com", "WOO_EU_GUEST_anna-at-x_de"])
def test_audit_hides_guest_keys_with_or_without_a_store_code(key: str) -> None:
    assert "anna" not in shown(key)
