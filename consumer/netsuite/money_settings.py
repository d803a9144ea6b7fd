"""The settings of an order's money records: payments (Customer Deposits) and refunds.

A part of `MappingSettings` (which inherits it), kept apart so each file stays readable; the README's
settings table shows every row. Ids are NetSuite internal ids (digits).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from common.kafka_settings import ENV_FILE_CONFIG
from consumer.netsuite.policy import RefundRecord

_INTERNAL_ID = re.compile(r"[0-9]{1,18}")


def json_text(value: Any) -> Any:
    """JSON text from anywhere (the environment source parses it; a .env or kwargs may not)."""
    if isinstance(value, str):
        return json.loads(value) if value.strip() else None
    return value


def internal_ids(value: dict[str, str] | None) -> dict[str, str] | None:
    for key, internal_id in (value or {}).items():
        if not _INTERNAL_ID.fullmatch(str(internal_id)):
            raise ValueError(f"{key!r} must map to a NetSuite internal id (digits), not {internal_id!r}")
    return value


class MoneySettings(BaseSettings):
    model_config = ENV_FILE_CONFIG

    netsuite_refund_record: RefundRecord = Field(
        "creditMemo",
        description="record of each WooCommerce refund: creditMemo (orders invoiced in NetSuite: the "
        "credit is applied or refunded there) or cashRefund (money returned, no invoice to credit)",
    )
    netsuite_refund_item_id: str | None = Field(
        None, description="item of a refund's line when its per-line detail is unknown"
    )
    netsuite_refund_account_id: str | None = Field(
        None,
        description="the bank account refunds are paid from: required to give back a deposit (an order "
        "refunded in full before it is billed, with payment records on); a cash refund's, else the form's "
        "default",
    )
    netsuite_payment_records: bool = Field(
        True,
        description="a paid order gets a Customer Deposit WOO_PAY_<order id> against its sales order "
        "(off: none)",
    )
    netsuite_payment_records_since: str | None = Field(
        None,
        description="GMT date (or date and time, ISO): orders paid before it get no deposit — set it when "
        "turning payment records on for an account that already holds orders (their payment may be "
        "booked already)",
    )
    netsuite_payment_method_map: dict[str, str] | None = Field(
        None,
        description='JSON: WooCommerce payment_method (or "default") → NetSuite payment method id, sent as '
        "the deposit's paymentOption; unmapped: not sent (the account's default)",
    )
    netsuite_deposit_account_id: str | None = Field(
        None, description="account of the deposits; unset: the account's default (Undeposited Funds)"
    )

    @field_validator("netsuite_payment_method_map", mode="before")
    @classmethod
    def _method_json(cls, value: Any) -> Any:
        return json_text(value)

    @field_validator("netsuite_payment_method_map")
    @classmethod
    def _method_ids(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return internal_ids(value)

    @field_validator("netsuite_payment_records_since")
    @classmethod
    def _since(cls, value: str | None) -> str | None:
        if not value:
            return None
        try:
            return datetime.fromisoformat(value.strip()).strftime("%Y-%m-%dT%H:%M:%S")
        except ValueError:
            raise ValueError("must be an ISO date or date and time in GMT, e.g. 2026-12-01") from None

    def money_fields(self) -> dict[str, Any]:
        """The `MappingPolicy` fields these settings decide."""
        return {
            "refund_record": self.netsuite_refund_record,
            "refund_item_id": self.netsuite_refund_item_id,
            "refund_account_id": self.netsuite_refund_account_id,
            "payment_records": self.netsuite_payment_records,
            "payment_records_since": self.netsuite_payment_records_since,
            "payment_method_map": dict(self.netsuite_payment_method_map or {}),
            "deposit_account_id": self.netsuite_deposit_account_id,
        }
