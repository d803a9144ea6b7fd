"""NetSuite account settings (Token-Based Authentication) and the mapping policy derived from them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from common.kafka_settings import ENV_FILE_CONFIG


class NetSuiteSettings(BaseSettings):
    """`NETSUITE_*` variables of the contract."""

    model_config = ENV_FILE_CONFIG

    netsuite_account_id: str = Field(description="account id as NetSuite shows it, e.g. 1234567_SB1")
    netsuite_consumer_key: SecretStr = Field(description="TBA consumer key (integration record)")
    netsuite_consumer_secret: SecretStr = Field(description="TBA consumer secret")
    netsuite_token_id: SecretStr = Field(description="TBA token id (access token)")
    netsuite_token_secret: SecretStr = Field(description="TBA token secret")
    netsuite_base_url: str = Field("", description="root URL; default from the account id")
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
    netsuite_tax_mode: Literal["line", "netsuite"] = Field(
        "line", description="line: WooCommerce's tax as one line; netsuite: NetSuite computes tax"
    )
    netsuite_tax_item_id: str | None = Field(None, description="item id of the tax line (line mode)")
    netsuite_connect_timeout_s: float = Field(5.0, gt=0, description="TCP/TLS connect timeout")
    netsuite_read_timeout_s: float = Field(60.0, gt=0, description="longest wait for an answer")
    netsuite_item_cache_ttl_s: float = Field(3600.0, ge=0, description="SKU → item id cache lifetime")

    @model_validator(mode="after")
    def _default_base_url(self) -> NetSuiteSettings:
        if not self.netsuite_base_url:
            host = self.netsuite_account_id.lower().replace("_", "-")
            self.netsuite_base_url = f"https://{host}.suitetalk.api.netsuite.com"
        self.netsuite_base_url = self.netsuite_base_url.rstrip("/")
        return self

    def mapping_policy(self) -> MappingPolicy:
        return MappingPolicy(
            subsidiary_id=self.netsuite_subsidiary_id,
            version_field=self.netsuite_version_field,
            customer_version_field=self.netsuite_customer_version_field,
            shipping_item_id=self.netsuite_shipping_item_id,
            discount_item_id=self.netsuite_discount_item_id,
            fee_item_id=self.netsuite_fee_item_id,
            tax_mode=self.netsuite_tax_mode,
            tax_item_id=self.netsuite_tax_item_id,
        )


@dataclass(frozen=True)
class MappingPolicy:
    """What the pure order → record mapping needs to know about the account."""

    subsidiary_id: str | None = None
    version_field: str = "custbody_woo_modified_gmt"
    customer_version_field: str = "custentity_woo_order_created_gmt"
    shipping_item_id: str | None = None
    discount_item_id: str | None = None
    fee_item_id: str | None = None
    tax_mode: Literal["line", "netsuite"] = "line"
    tax_item_id: str | None = None
