"""What the pure order → record mapping knows about the account: a frozen policy, built from settings.

Kept apart from the settings class so the mapping and its tests need no environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

TaxMode = Literal["suitetax", "line", "netsuite"]
CustomerType = Literal["individual", "company"]
CustomerUpdate = Literal["changed", "never"]
RefundRecord = Literal["creditMemo", "cashRefund"]

#: Where a header note (payment, transaction id, coupons, customer note) goes: appended to the
#: memo, a custom body field of that name, or nowhere.
MEMO = "memo"


@dataclass(frozen=True)
class MappingPolicy:
    """Every account-specific choice of the mapping (see the README's settings table)."""

    subsidiary_id: str | None = None
    version_field: str = "custbody_woo_modified_gmt"
    customer_version_field: str = "custentity_woo_order_created_gmt"
    store_code: str = ""  # '' keeps today's external ids; 'EU' → WOO_EU_ORDER_<id>
    # lines
    shipping_item_id: str | None = None
    discount_item_id: str | None = None
    fee_item_id: str | None = None
    tax_item_id: str | None = None
    rounding_item_id: str | None = None
    rounding_tolerance: Decimal = Decimal("0.05")
    # tax
    tax_mode: TaxMode = "suitetax"
    tax_code_map: Mapping[str, str] = field(default_factory=dict)  # rate id / rate code / default / none
    # header
    order_status: str = "B"  # '' = not sent (the account's default)
    location_id: str | None = None
    department_id: str | None = None
    class_id: str | None = None
    custom_form_id: str | None = None
    ship_method_map: Mapping[str, str] = field(default_factory=dict)  # method_id / default → ship item
    payment_method_field: str = MEMO
    transaction_id_field: str = MEMO
    coupon_codes_field: str = MEMO
    customer_note_field: str = MEMO
    # customers
    customer_type: CustomerType = "individual"
    # refunds (`consumer.netsuite.refunds`)
    refund_record: RefundRecord = "creditMemo"
    refund_item_id: str | None = None
    refund_account_id: str | None = None  # a cash refund's bank account ('' / None: the form's default)
    # payments (`consumer.netsuite.payments`)
    payment_records: bool = True
    payment_records_since: str | None = None  # GMT, ISO: orders paid earlier get no deposit
    payment_method_map: Mapping[str, str] = field(default_factory=dict)  # payment_method / default → id
    deposit_account_id: str | None = None

    def tax_code(self, *keys: str) -> str | None:
        """The NetSuite tax code of the first key the map knows (rate id, rate code, then default)."""
        for key in keys:
            if key and key in self.tax_code_map:
                return self.tax_code_map[key]
        return self.tax_code_map.get("default")

    def dimensions(self) -> dict[str, dict[str, str]]:
        """Location, department and class as set, for every record an order books (its money too)."""
        named = (("location", self.location_id), ("department", self.department_id), ("class", self.class_id))
        return {name: {"id": value} for name, value in named if value}

    def payment_option(self, payment_method: str) -> str | None:
        return self.payment_method_map.get(payment_method) or self.payment_method_map.get("default")

    def ship_item(self, method_id: str) -> str | None:
        return self.ship_method_map.get(method_id) or self.ship_method_map.get("default")


@dataclass(frozen=True)
class WriterPolicy:
    """What the writer (not the pure mapping) decides: customer updates, matching, tax variance."""

    customer_update: CustomerUpdate = "changed"
    match_email: bool = False
    tax_variance_field: str = "custbody_woo_tax_variance"  # '' = only the metric
    tax_variance_tolerance: Decimal = Decimal("0.05")
