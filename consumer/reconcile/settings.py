"""Settings of `python -m consumer reconcile`: Kafka, the shop's REST API, and the poll's timing."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, field_validator

from common.kafka_settings import ENV_FILE_CONFIG, KafkaSettings
from consumer.woocommerce.settings import WooCommerceSettings


class ReconcileSettings(KafkaSettings, WooCommerceSettings):
    model_config = ENV_FILE_CONFIG

    reconcile_interval_s: float = Field(300, gt=0, description="how often `reconcile` polls WooCommerce")
    reconcile_overlap_s: float = Field(900, ge=0, description="how far before the watermark each pass starts")
    reconcile_lag_s: float = Field(
        120, ge=0, description="orders modified this recently are left to their webhook (the next pass)"
    )
    reconcile_read_timeout_s: float = Field(
        120.0, gt=0, description="longest wait to read the reconcile and main topics to their ends"
    )
    receiver_public_url: str | None = Field(
        None,
        description="the receiver's URL as WooCommerce calls it; when set, webhooks must point there",
    )
    metrics_port: int = Field(9102, ge=0, le=65535, description="Prometheus + health port; 0 = off")
    metrics_host: str = Field("0.0.0.0", description="address the metrics/health port binds")  # noqa: S104

    @field_validator("receiver_public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be the URL WooCommerce delivers to, e.g. https://hooks.example.com")
        return value
