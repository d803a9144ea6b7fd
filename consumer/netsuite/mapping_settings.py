"""The mapping's settings: how an order is booked (tax, rounding, header fields, customers, items).

One pydantic BaseSettings, inherited by `NetSuiteSettings`, so the README's table shows each row.
JSON maps (`NETSUITE_TAX_CODE_MAP`, `NETSUITE_SHIP_METHOD_MAP`) are parsed by pydantic-settings.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, field_validator

from common.kafka_settings import ENV_FILE_CONFIG
from consumer.netsuite.money_settings import MoneySettings, internal_ids, json_text
from consumer.netsuite.policy import (
    MEMO,
    CustomerType,
    CustomerUpdate,
    MappingPolicy,
    TaxMode,
    WriterPolicy,
)

_INTERNAL_ID = re.compile(r"[0-9]{1,18}")
_BODY_FIELD = re.compile(r"custbody_[a-z0-9_]{1,80}")
_ITEM_FIELD = re.compile(r"custitem_[a-z0-9_]{1,80}")
_NOTE_FIELD = "memo (appended to the memo), a custbody_ field, or '' (not sent)"


class MappingSettings(MoneySettings):
    model_config = ENV_FILE_CONFIG

    netsuite_tax_mode: TaxMode = Field(
        "suitetax",
        description="suitetax: WooCommerce's tax per line as taxDetailsOverride (codes from "
        "NETSUITE_TAX_CODE_MAP); line: override without details, the total tax as one line on "
        "NETSUITE_TAX_ITEM_ID; netsuite: NetSuite computes, the variance is recorded",
    )
    netsuite_tax_code_map: dict[str, str] | None = Field(
        None,
        description='JSON: WooCommerce tax rate id or rate code (or "default"; "none" for untaxed lines) '
        "→ NetSuite tax code (salesTaxItem) internal id",
    )
    netsuite_tax_item_id: str | None = Field(
        None, description="item of the tax line (line mode): posts to tax liability"
    )
    netsuite_tax_variance_field: str = Field(
        "custbody_woo_tax_variance",
        description="netsuite mode: custom body field (currency) that receives NetSuite's tax minus "
        "WooCommerce's; '' = only the metric",
    )
    netsuite_tax_variance_tolerance: Decimal = Field(
        Decimal("0.05"), ge=0, description="netsuite mode: a variance beyond this is counted for the alert"
    )
    netsuite_rounding_item_id: str | None = Field(
        None, description="item of the line that absorbs a disagreement of WooCommerce's own figures"
    )
    rounding_tolerance: Decimal = Field(
        Decimal("0.05"),
        ge=0,
        description="largest such disagreement a rounding line absorbs (at least one unit of the "
        "currency); beyond it the order is Unmappable",
    )
    netsuite_order_status: Literal["", "A", "B"] = Field(
        "B", description="orderStatus: A pending approval, B pending fulfillment, '' the form's default"
    )
    netsuite_location_id: str | None = Field(None, description="location of every sales order")
    netsuite_department_id: str | None = Field(None, description="department of every sales order")
    netsuite_class_id: str | None = Field(None, description="class of every sales order")
    netsuite_custom_form_id: str | None = Field(None, description="custom form of every sales order")
    netsuite_ship_method_map: dict[str, str] | None = Field(
        None,
        description='JSON: WooCommerce shipping method_id (or "default") → ship item id, sent as '
        "shipMethod + shippingCost; unmapped shipping stays a line on NETSUITE_SHIPPING_ITEM_ID",
    )
    netsuite_payment_method_field: str = Field(MEMO, description=f"payment method title: {_NOTE_FIELD}")
    netsuite_transaction_id_field: str = Field(MEMO, description=f"payment transaction id: {_NOTE_FIELD}")
    netsuite_coupon_codes_field: str = Field(MEMO, description=f"coupon codes: {_NOTE_FIELD}")
    netsuite_customer_note_field: str = Field(MEMO, description=f"the customer's note: {_NOTE_FIELD}")
    netsuite_store_code: str = Field(
        "", description="several shops into one account: WOO_<code>_ORDER_<id> etc.; '' keeps WOO_ORDER_<id>"
    )
    netsuite_customer_type: CustomerType = Field(
        "individual",
        description="individual (isPerson, the billing company in companyName) or company, for every "
        "customer: never flips between orders",
    )
    netsuite_customer_update: CustomerUpdate = Field(
        "changed",
        description="changed: an order updates its customer when its data changed; never: existing "
        "customers are left as NetSuite has them (a returning customer's order is one call)",
    )
    netsuite_customer_match_email: bool = Field(
        False,
        description="match a new customer to an existing NetSuite customer by email before creating one",
    )
    netsuite_item_lookup_field: str = Field(
        "itemid", description="SKU is looked up in itemid, upccode, externalid or a custitem_ field"
    )
    netsuite_item_missing_ttl_s: float = Field(
        60.0, ge=0, description="how long an unknown SKU is remembered as unknown"
    )
    netsuite_currency_cache_ttl_s: float = Field(
        3600.0, ge=0, description="ISO code → currency id cache lifetime"
    )

    @field_validator("netsuite_tax_code_map", "netsuite_ship_method_map", mode="before")
    @classmethod
    def _json_text(cls, value: Any) -> Any:
        return json_text(value)

    @field_validator("netsuite_tax_code_map", "netsuite_ship_method_map")
    @classmethod
    def _internal_ids(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        return internal_ids(value)

    @field_validator(
        "netsuite_payment_method_field",
        "netsuite_transaction_id_field",
        "netsuite_coupon_codes_field",
        "netsuite_customer_note_field",
    )
    @classmethod
    def _note_field(cls, value: str) -> str:
        if value not in ("", MEMO) and not _BODY_FIELD.fullmatch(value):
            raise ValueError(f"must be {_NOTE_FIELD}")
        return value

    @field_validator("netsuite_tax_variance_field")
    @classmethod
    def _variance_field(cls, value: str) -> str:
        if value and not _BODY_FIELD.fullmatch(value):
            raise ValueError("must be a custbody_ field or '' (metric only)")
        return value

    @field_validator("netsuite_item_lookup_field")
    @classmethod
    def _item_field(cls, value: str) -> str:
        if value not in ("itemid", "upccode", "externalid") and not _ITEM_FIELD.fullmatch(value):
            raise ValueError("must be itemid, upccode, externalid or a custitem_ field")
        return value

    @field_validator("netsuite_store_code")
    @classmethod
    def _store_code(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9]{0,20}", value):
            raise ValueError("letters and digits only (it becomes part of every externalId), at most 20")
        return value.upper()

    def writer_policy(self) -> WriterPolicy:
        return WriterPolicy(
            customer_update=self.netsuite_customer_update,
            match_email=self.netsuite_customer_match_email,
            tax_variance_field=self.netsuite_tax_variance_field,
            tax_variance_tolerance=self.netsuite_tax_variance_tolerance,
        )

    def mapping_fields(self) -> dict[str, Any]:
        """The `MappingPolicy` fields these settings decide."""
        return {
            "tax_mode": self.netsuite_tax_mode,
            "tax_code_map": dict(self.netsuite_tax_code_map or {}),
            "tax_item_id": self.netsuite_tax_item_id,
            "rounding_item_id": self.netsuite_rounding_item_id,
            "rounding_tolerance": self.rounding_tolerance,
            "order_status": self.netsuite_order_status,
            "location_id": self.netsuite_location_id,
            "department_id": self.netsuite_department_id,
            "class_id": self.netsuite_class_id,
            "custom_form_id": self.netsuite_custom_form_id,
            "ship_method_map": dict(self.netsuite_ship_method_map or {}),
            "payment_method_field": self.netsuite_payment_method_field,
            "transaction_id_field": self.netsuite_transaction_id_field,
            "coupon_codes_field": self.netsuite_coupon_codes_field,
            "customer_note_field": self.netsuite_customer_note_field,
            "store_code": self.netsuite_store_code,
            "customer_type": self.netsuite_customer_type,
            **self.money_fields(),
        }


__all__ = ["MappingPolicy", "MappingSettings"]
