"""`WOOCOMMERCE_*` variables of the contract: the shop's REST API, for `reconcile` and `audit`."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings

from common.kafka_settings import ENV_FILE_CONFIG
from consumer.plain_http import is_root_url, scheme_allowed


class WooCommerceSettings(BaseSettings):
    model_config = ENV_FILE_CONFIG

    woocommerce_allow_http: bool = Field(
        False, description="accept http:// to a WOOCOMMERCE_API_URL host other than loopback (a simulator)"
    )
    woocommerce_api_url: str = Field(
        description="the shop's root URL (https, or http to a loopback host); /wp-json/wc/v3/... is appended"
    )
    woocommerce_consumer_key: SecretStr = Field(description="REST API key (ck_...), read permission")
    woocommerce_consumer_secret: SecretStr = Field(description="REST API secret (cs_...)")
    woocommerce_timeout_s: float = Field(30.0, gt=0, le=300, description="longest wait for one REST answer")

    @field_validator("woocommerce_api_url")
    @classmethod
    def _https_root(cls, value: str, info: ValidationInfo) -> str:
        """Basic auth sends the key and secret with every request, readable on plain http — and
        WooCommerce refuses Basic auth there anyway (it wants OAuth 1.0a without TLS). A loopback host
        never puts them on the network (a mock shop), anything else needs `WOOCOMMERCE_ALLOW_HTTP`."""
        if not scheme_allowed(value, bool(info.data.get("woocommerce_allow_http"))):
            raise ValueError(
                "must start with https:// "
                "(http:// only to a loopback host or with WOOCOMMERCE_ALLOW_HTTP=true)"
            )
        if not is_root_url(value):
            raise ValueError("must be the shop's root URL: scheme, host and path, no user, query or fragment")
        return value.rstrip("/")
