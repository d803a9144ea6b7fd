"""The reason a dead letter carries (`x-error-message`) holds none of the order's personal data, in
the forms NetSuite's error detail may echo it: the guest customer's external id (an escaped email)
and the phone number written without its spaces."""

from __future__ import annotations

import pytest

from consumer.audit.compare import shown
from consumer.pipeline.redact import MARK, redact
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


@pytest.mark.parametrize("echoed", ["+491701234567", "+49-170-123 4567", "49 (170) 1234567"])
def test_the_orders_phone_is_redacted_however_it_is_spaced(echoed: str) -> None:
    text = redact(f"Invalid phone number {echoed} for field phone", guest_order())
    assert text == f"Invalid phone number {MARK} for field phone"


def test_other_digits_stay_amounts_ids_and_codes_are_the_reason() -> None:
    text = "Order 4917012 line 2: amount 1234567.00 does not match; code 170"
    assert redact(text, guest_order()) == text


@pytest.mark.parametrize("key", ["WOO_GUEST_anna_smith-at-example_com", "WOO_EU_GUEST_anna-at-x_de"])
def test_audit_hides_guest_keys_with_or_without_a_store_code(key: str) -> None:
    assert "anna" not in shown(key)
