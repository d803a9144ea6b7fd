"""Kafka settings every process shares, and the librdkafka config dicts built from them.

One place decides the durability knobs (idempotence, acks, compression) so the receiver,
the consumer's retry/dead-letter producer and the tooling cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from common.kafka_logs import KAFKA_LOG

ENV_FILE_CONFIG = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

# A record is the Avro order plus the raw webhook body (≈ 2x a body of up to RECEIVER_MAX_BODY_BYTES,
# 1 MiB) plus headers; the receiver's producer allows 3x + 64 KiB. Kafka's default topic limit
# (~1 MB, after compression) would turn a large but valid order into a 413, so the topics allow 4 MiB
# (`consumer.topics`), and so does the consumer's producer, which forwards records to the retry and
# dead-letter topics unchanged.
MAX_MESSAGE_BYTES = 4 * 1024 * 1024


SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "OAUTHBEARER"]


class KafkaSettings(BaseSettings):
    """Connection to the brokers and the topic layout (names fixed by the contract)."""

    model_config = ENV_FILE_CONFIG

    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="brokers, comma-separated host:port")
    kafka_security_protocol: SecurityProtocol | None = Field(
        None, description="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; unset = PLAINTEXT"
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        None, description="PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, GSSAPI or OAUTHBEARER"
    )
    kafka_sasl_username: str | None = Field(None, description="SASL user")
    kafka_sasl_password: SecretStr | None = Field(None, description="SASL password")
    kafka_ssl_ca_location: str | None = Field(
        None, description="CA certificates (PEM file) the brokers' certificates must chain to"
    )
    kafka_ssl_certificate_location: str | None = Field(
        None, description="client certificate (PEM file), for brokers that require mutual TLS"
    )
    kafka_ssl_key_location: str | None = Field(None, description="client private key (PEM file), mutual TLS")
    kafka_ssl_key_password: SecretStr | None = Field(None, description="password of an encrypted client key")
    orders_topic: str = Field("woocommerce.orders", description="main topic")
    orders_topic_partitions: int = Field(6, ge=1, description="partitions of every topic we create")
    orders_topic_replication: int = Field(1, ge=1, description="replication factor of topics we create")
    retry_delays_seconds: Annotated[tuple[float, ...], NoDecode] = Field(
        (5.0, 30.0, 300.0), description="one retry topic per delay, in order; then the dead-letter topic"
    )
    schema_registry_url: str | None = Field(None, description="Confluent wire format when set")
    schema_registry_basic_auth_user_info: SecretStr | None = Field(
        None, description="schema registry credentials, user:password"
    )
    schema_registry_ssl_ca_location: str | None = Field(
        None, description="CA certificates (PEM file) of an https schema registry"
    )

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _host_port_list(cls, value: str) -> str:
        """librdkafka would accept '' or 'kafka' and then retry forever, silently: refuse them here."""
        entries = [e.strip() for e in value.split(",") if e.strip()]
        if not entries:
            raise ValueError("needs at least one broker as host:port, e.g. kafka-0.kafka:9092")
        for entry in entries:
            host, _, port = entry.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(
                    "every broker must be host:port (a port is required), e.g. kafka-0.kafka:9092"
                )
        return ",".join(entries)

    @field_validator("kafka_security_protocol", "kafka_sasl_mechanism", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.strip().upper() or None if isinstance(value, str) else value

    @field_validator(
        "kafka_ssl_ca_location",
        "kafka_ssl_certificate_location",
        "kafka_ssl_key_location",
        "schema_registry_ssl_ca_location",
    )
    @classmethod
    def _file_exists(cls, value: str | None) -> str | None:
        """Certificates come from a mounted Secret: a wrong path stops the process with the variable's
        name instead of a TLS failure on every connection attempt."""
        if value and not Path(value).is_file():
            raise ValueError("no such file (is the TLS Secret mounted there?)")
        return value or None

    @model_validator(mode="after")
    def _certificate_with_key(self) -> KafkaSettings:
        if bool(self.kafka_ssl_certificate_location) != bool(self.kafka_ssl_key_location):
            raise ValueError("KAFKA_SSL_CERTIFICATE_LOCATION and KAFKA_SSL_KEY_LOCATION go together")
        return self

    @field_validator("retry_delays_seconds", mode="before")
    @classmethod
    def _split_delays(cls, value: Any) -> Any:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return tuple(float(p) for p in parts)
            except ValueError:
                raise ValueError(
                    "RETRY_DELAYS_SECONDS must be seconds separated by commas, e.g. 5,30,300"
                ) from None
        if isinstance(value, int | float):
            return (float(value),)
        return value

    @field_validator("retry_delays_seconds")
    @classmethod
    def _positive_delays(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value:  # no retry topic would turn every NetSuite hiccup into a dead letter
            raise ValueError("RETRY_DELAYS_SECONDS needs at least one delay, e.g. 5,30,300")
        if any(d < 0 for d in value):
            raise ValueError("RETRY_DELAYS_SECONDS must be non-negative numbers, e.g. 5,30,300")
        return value

    @property
    def retry_topics(self) -> list[str]:
        return [f"{self.orders_topic}.retry.{n}" for n in range(1, len(self.retry_delays_seconds) + 1)]

    @property
    def dead_letter_topic(self) -> str:
        return f"{self.orders_topic}.dlq"

    @property
    def redrives_topic(self) -> str:
        """What `redrive` re-published, keyed by the dead-letter record's position (compacted)."""
        return f"{self.orders_topic}.redrives"

    @property
    def reconcile_topic(self) -> str:
        """What `reconcile` knows (compacted): per order the newest version published to the main
        topic, the main-topic positions it read, and its watermark (consumer.reconcile.table)."""
        return f"{self.orders_topic}.reconcile"

    @property
    def memory_topics(self) -> tuple[str, str]:
        """The consumer group's memory (compacted): orders, then customers (consumer.pipeline.changelog)."""
        return f"{self.orders_topic}.memory", f"{self.orders_topic}.customers"

    def client_config(self) -> dict[str, Any]:
        """Settings every librdkafka client needs: brokers, security, and our logger for its lines."""
        conf: dict[str, Any] = {"bootstrap.servers": self.kafka_bootstrap_servers, "logger": KAFKA_LOG}
        if self.kafka_security_protocol:
            conf["security.protocol"] = self.kafka_security_protocol
        if self.kafka_sasl_mechanism:
            conf["sasl.mechanism"] = self.kafka_sasl_mechanism
        if self.kafka_sasl_username:
            conf["sasl.username"] = self.kafka_sasl_username
        if self.kafka_sasl_password:
            conf["sasl.password"] = self.kafka_sasl_password.get_secret_value()
        if self.kafka_ssl_ca_location:
            conf["ssl.ca.location"] = self.kafka_ssl_ca_location
        if self.kafka_ssl_certificate_location:
            conf["ssl.certificate.location"] = self.kafka_ssl_certificate_location
        if self.kafka_ssl_key_location:
            conf["ssl.key.location"] = self.kafka_ssl_key_location
        if self.kafka_ssl_key_password:
            conf["ssl.key.password"] = self.kafka_ssl_key_password.get_secret_value()
        return conf

    def registry_config(self) -> dict[str, str]:
        """Schema registry client settings beyond the URL: credentials and CA."""
        conf: dict[str, str] = {}
        if self.schema_registry_basic_auth_user_info:
            conf["basic.auth.user.info"] = self.schema_registry_basic_auth_user_info.get_secret_value()
        if self.schema_registry_ssl_ca_location:
            conf["ssl.ca.location"] = self.schema_registry_ssl_ca_location
        return conf

    def producer_config(self, *, linger_ms: int = 5, delivery_timeout_ms: int = 30_000) -> dict[str, Any]:
        """A durable producer: idempotent (implies acks=all), compressed, bounded linger."""
        return {
            **self.client_config(),
            "enable.idempotence": True,
            "acks": "all",
            "compression.type": "lz4",
            # murmur2, as the Java client: a key lands on the same partition whoever produced it.
            "partitioner": "murmur2_random",
            "linger.ms": linger_ms,
            "delivery.timeout.ms": delivery_timeout_ms,
            "socket.keepalive.enable": True,
            # as large as the topics allow: whatever the receiver published, the consumer can forward
            "message.max.bytes": MAX_MESSAGE_BYTES,
        }


def unpolled(config: dict[str, Any], role: str) -> dict[str, Any]:
    """`config` for a side client nobody polls (lag reporter, watermark queries): no `logger` and no
    callbacks — its log lines and events would only queue up, never served — and a client id of its own."""
    out = {k: v for k, v in config.items() if not callable(v) and k != "logger"}
    out["client.id"] = f"{out.get('client.id', 'woo-consumer')}-{role}"
    return out
