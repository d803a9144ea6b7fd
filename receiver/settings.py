"""Receiver settings (pydantic-settings; the contract's variable names).

`load_settings()` turns a validation failure into one message naming each wrong variable the way
an operator typed it (`RECEIVER_WORKERS: ...`), never its value (the secret is one of them).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from common.kafka_settings import ENV_FILE_CONFIG, KafkaSettings
from receiver.signature import wp_specialchars_decode

# WooCommerce generates 50-character secrets (`wp_generate_password( 50, true, true )` when the
# field is left empty); a person may type a shorter one. Below 16 characters of HMAC key a guessed
# or brute-forced secret is within reach, so such a secret stops the receiver instead.
MIN_SECRET_CHARS = 16


class SettingsError(ValueError):
    """The environment does not describe a runnable receiver; the message names the variables."""


class ReceiverSettings(KafkaSettings):
    """Everything `python -m receiver` reads from the environment (and `.env`)."""

    model_config = SettingsConfigDict(**ENV_FILE_CONFIG)

    woocommerce_webhook_secret: SecretStr = Field(
        description="the webhook secret as stored in WooCommerce (entity-decoded like WooCommerce does)"
    )
    woocommerce_webhook_secret_previous: SecretStr | None = Field(
        None, description="during a rotation, the old secret, also accepted (one secret: it may hold commas)"
    )
    port: int = Field(8080, ge=1, le=65535, description="HTTP port")
    receiver_metrics_port: int = Field(
        0, ge=0, le=65535, description="serve /metrics on this port only (not on PORT); 0 = on PORT"
    )
    receiver_host: str = Field("0.0.0.0", description="bind address")  # noqa: S104 - a container's port
    receiver_workers: int = Field(2, ge=1, le=64, description="gunicorn worker processes")
    receiver_threads: int = Field(8, ge=1, le=512, description="request threads per worker")
    receiver_max_body_bytes: int = Field(1_048_576, ge=1024, description="larger bodies get 413")
    receiver_produce_timeout_s: float = Field(
        10.0, gt=0, le=50, description="longest wait for the broker's acknowledgement before 503"
    )
    receiver_linger_ms: int = Field(1, ge=0, le=100, description="producer linger (batching window)")
    receiver_ready_timeout_s: float = Field(1.0, gt=0, le=30, description="broker metadata probe timeout")
    receiver_ready_cache_s: float = Field(2.0, ge=0, le=60, description="how long a probe answer is reused")
    receiver_graceful_timeout_s: float = Field(
        15.0, gt=0, le=300, description="on SIGTERM, how long in-flight requests may finish"
    )
    receiver_log_level: str = Field("INFO", description="log level of the JSON log lines")
    receiver_read_timeout_s: float = Field(
        5.0, gt=0, le=60, description="a request (headers and body) must arrive within this of its first byte"
    )
    receiver_replay_window_s: float = Field(
        3600.0, ge=0, le=7 * 86400, description="a body published this recently is not published again"
    )
    receiver_replay_capacity: int = Field(
        10_000, ge=0, le=1_000_000, description="bodies remembered per worker process; 0 = no replay filter"
    )

    @field_validator("woocommerce_webhook_secret_previous", mode="before")
    @classmethod
    def _blank_previous_is_unset(cls, value: Any) -> Any:
        """An emptied variable ends a rotation as well as a removed one."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("woocommerce_webhook_secret", "woocommerce_webhook_secret_previous")
    @classmethod
    def _secret_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value()
        if not text.strip():
            raise ValueError("must not be empty (copy the webhook's secret from WooCommerce)")
        if len(wp_specialchars_decode(text)) < MIN_SECRET_CHARS:  # the HMAC key WooCommerce signs with
            raise ValueError(
                f"must be at least {MIN_SECRET_CHARS} characters; leave WooCommerce's secret field empty "
                "to have it generate one (50 characters)"
            )
        return value

    @model_validator(mode="after")
    def _two_ports(self) -> ReceiverSettings:
        if self.receiver_metrics_port == self.port:
            raise ValueError("RECEIVER_METRICS_PORT must differ from PORT (or be 0: /metrics on PORT)")
        return self

    @field_validator("receiver_log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value.upper()


def _env_name(loc: tuple[Any, ...]) -> str:
    return str(loc[0]).upper() if loc else "(settings)"


def describe(exc: ValidationError) -> str:
    """One line per wrong variable: `NAME: what is wrong` (no input values: secrets live here)."""
    lines = []
    for err in exc.errors(include_input=False, include_url=False):
        lines.append(f"{_env_name(tuple(err['loc']))}: {err['msg']}")
    return "; ".join(lines)


def load_settings(**overrides: Any) -> ReceiverSettings:
    """Read the settings; raise `SettingsError` naming each wrong variable."""
    try:
        return ReceiverSettings(**overrides)
    except ValidationError as exc:
        raise SettingsError(f"invalid receiver settings: {describe(exc)}") from None
