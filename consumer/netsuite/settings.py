"""NetSuite account settings (Token-Based Authentication) and the mapping policy derived from them."""

from __future__ import annotations

import re

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from common.kafka_settings import ENV_FILE_CONFIG
from consumer.netsuite.mapping_settings import MappingSettings
from consumer.netsuite.policy import MappingPolicy
from consumer.plain_http import is_root_url, scheme_allowed

# As NetSuite shows it (Setup > Company > Company Information): 1234567, 1234567_SB1, TSTDRV1234567.
# It becomes part of a host name, so nothing else (no '.', '/', '@', ':') may pass.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9]{1,40}(?:_[A-Za-z0-9]{1,20})?")


class NetSuiteSettings(MappingSettings):
    """`NETSUITE_*` variables of the contract (the mapping's own in `MappingSettings`)."""

    model_config = ENV_FILE_CONFIG

    netsuite_account_id: str = Field(description="account id as NetSuite shows it, e.g. 1234567_SB1")
    netsuite_consumer_key: SecretStr = Field(description="TBA consumer key (integration record)")
    netsuite_consumer_secret: SecretStr = Field(description="TBA consumer secret")
    netsuite_token_id: SecretStr = Field(description="TBA token id (access token)")
    netsuite_token_secret: SecretStr = Field(description="TBA token secret")
    netsuite_allow_http: bool = Field(
        False, description="accept http:// to a NETSUITE_BASE_URL host other than loopback (a simulator)"
    )
    netsuite_base_url: str = Field(
        "", description="root URL (https, or http to a loopback host); default from the account id"
    )
    netsuite_concurrency: int = Field(5, ge=1, description="most requests in flight for the whole group")
    netsuite_subsidiary_id: str | None = Field(None, description="set on new customers (OneWorld accounts)")
    netsuite_version_field: str = Field(
        "custbody_woo_modified_gmt", description="custom body field holding the order's date_modified_gmt"
    )
    netsuite_customer_version_field: str = Field(
        "custentity_woo_order_created_gmt",
        min_length=1,
        description="custom entity field naming the order a customer's data comes from",
    )
    netsuite_shipping_item_id: str | None = Field(None, description="item id of shipping lines")
    netsuite_discount_item_id: str | None = Field(None, description="item id of the discount line")
    netsuite_fee_item_id: str | None = Field(None, description="item id of fee lines")
    netsuite_connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout")
    netsuite_read_timeout_s: float = Field(60.0, gt=0, description="longest wait for an answer")
    netsuite_item_cache_ttl_s: float = Field(3600.0, ge=0, description="SKU → item id cache lifetime")

    @field_validator(
        "netsuite_consumer_key", "netsuite_consumer_secret", "netsuite_token_id", "netsuite_token_secret"
    )
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        """An empty credential would only fail later, on every request, as a 401 halt."""
        if not value.get_secret_value().strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("netsuite_account_id")
    @classmethod
    def _account_id_shape(cls, value: str) -> str:
        if not _ACCOUNT_ID.fullmatch(value):
            raise ValueError(
                "must be the account id as NetSuite shows it: letters, digits, one _ (1234567_SB1)"
            )
        return value

    @field_validator("netsuite_base_url")
    @classmethod
    def _https_only(cls, value: str, info: ValidationInfo) -> str:
        """TBA signs each request but does not encrypt it: orders and customers' data travel in the
        body, so plain http is refused unless it stays on this machine (a loopback host) or
        `NETSUITE_ALLOW_HTTP` opts in (a simulator elsewhere)."""
        if not value:
            return value
        if not scheme_allowed(value, bool(info.data.get("netsuite_allow_http"))):
            raise ValueError(
                "must start with https:// (http:// only to a loopback host or with NETSUITE_ALLOW_HTTP=true)"
            )
        if not is_root_url(value):
            raise ValueError("must be a root URL: scheme and host, no user, query or fragment")
        return value

    @model_validator(mode="after")
    def _default_base_url(self) -> NetSuiteSettings:
        if not self.netsuite_base_url:
            host = self.netsuite_account_id.lower().replace("_", "-")
            self.netsuite_base_url = f"https://{host}.suitetalk.api.netsuite.com"
        self.netsuite_base_url = self.netsuite_base_url.rstrip("/")
        return self

    def unset_items(self) -> list[str]:
        """Item (and refund account) settings left unset, each with the orders it will dead-letter
        (logged at start; ✘ in `check`, the refund account ○: the contract does not name it)."""
        needed = [
            ("NETSUITE_SHIPPING_ITEM_ID", self.netsuite_shipping_item_id, "with shipping"),
            ("NETSUITE_DISCOUNT_ITEM_ID", self.netsuite_discount_item_id, "with a coupon or discount"),
            ("NETSUITE_FEE_ITEM_ID", self.netsuite_fee_item_id, "with a fee"),
            ("NETSUITE_REFUND_ITEM_ID", self.netsuite_refund_item_id, "with a refund"),
        ]
        if self.netsuite_tax_mode == "line":
            needed.append(("NETSUITE_TAX_ITEM_ID", self.netsuite_tax_item_id, "with tax"))
        if self.netsuite_payment_records:
            unbilled = "refunded in full before billing"
            needed.append(("NETSUITE_REFUND_ACCOUNT_ID", self.netsuite_refund_account_id, unbilled))
        return [
            f"{name} is not set: every order {orders} will be dead-lettered"
            for name, v, orders in needed
            if not v
        ]

    def mapping_policy(self) -> MappingPolicy:
        return MappingPolicy(
            subsidiary_id=self.netsuite_subsidiary_id,
            version_field=self.netsuite_version_field,
            customer_version_field=self.netsuite_customer_version_field,
            shipping_item_id=self.netsuite_shipping_item_id,
            discount_item_id=self.netsuite_discount_item_id,
            fee_item_id=self.netsuite_fee_item_id,
            **self.mapping_fields(),
        )


__all__ = ["MappingPolicy", "NetSuiteSettings"]
