"""Settings of the operator commands: the Kafka connection and topics, the group, the redrive limit."""

from __future__ import annotations

from pydantic import Field

from common.kafka_settings import ENV_FILE_CONFIG, KafkaSettings


class OperatorSettings(KafkaSettings):
    model_config = ENV_FILE_CONFIG

    consumer_group: str = Field("woo-netsuite-sync", description="consumer group id")
    redrive_limit: int = Field(3, ge=1, description="redrives of one order before `redrive` wants --force")
