"""Settings of `python -m consumer audit`: the shop's REST API and the NetSuite account (read), and
Kafka for `--repair` (which publishes the orders to fix to the main topic)."""

from __future__ import annotations

from pydantic import Field

from common.kafka_settings import ENV_FILE_CONFIG, KafkaSettings
from consumer.netsuite.settings import NetSuiteSettings
from consumer.woocommerce.settings import WooCommerceSettings


class AuditSettings(NetSuiteSettings, WooCommerceSettings, KafkaSettings):
    model_config = ENV_FILE_CONFIG

    audit_settle_s: float = Field(
        300,
        ge=0,
        description="without --until, orders changed this recently are not judged: they may still be on "
        "their way (webhook, retry topics); an explicit --until judges up to it",
    )
