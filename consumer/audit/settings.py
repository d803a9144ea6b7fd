"""Settings of `python -m consumer audit`: the shop's REST API and the NetSuite account (read), and
Kafka for `--repair` (which publishes the orders to fix to the main topic)."""

from __future__ import annotations

from common.kafka_settings import ENV_FILE_CONFIG, KafkaSettings
from consumer.netsuite.settings import NetSuiteSettings
from consumer.woocommerce.settings import WooCommerceSettings


class AuditSettings(NetSuiteSettings, WooCommerceSettings, KafkaSettings):
    model_config = ENV_FILE_CONFIG
