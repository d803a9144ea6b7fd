"""Network-facing settings: Kafka TLS files and schema registry credentials (from Secrets, never the
ConfigMap), and /metrics on a port of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from common.kafka_settings import KafkaSettings
from receiver.app import create_app
from receiver.server import gunicorn_options
from receiver.settings import SettingsError, load_settings
from receiver.testing import SAMPLE_SECRET, FakePublisher, sample_body, signed_headers


@pytest.fixture
def pem(tmp_path: Path) -> Path:
    path = tmp_path / "ca.crt"
    path.write_text("-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n")
    return path


def test_tls_files_and_key_password_reach_librdkafka(pem: Path) -> None:
    settings = KafkaSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_ca_location=str(pem),
        kafka_ssl_certificate_location=str(pem),
        kafka_ssl_key_location=str(pem),
        kafka_ssl_key_password="key-pass-xyz",
    )
    conf = settings.client_config()
    assert conf["security.protocol"] == "SASL_SSL"
    assert conf["ssl.ca.location"] == conf["ssl.certificate.location"] == conf["ssl.key.location"] == str(pem)
    assert conf["ssl.key.password"] == "key-pass-xyz"
    assert "key-pass-xyz" not in repr(settings)
    assert settings.producer_config()["ssl.ca.location"] == str(pem)


def test_a_missing_certificate_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="kafka_ssl_ca_location"):
        KafkaSettings(kafka_ssl_ca_location=str(tmp_path / "absent.crt"))


def test_a_client_certificate_needs_its_key(pem: Path) -> None:
    with pytest.raises(ValidationError, match="KAFKA_SSL_KEY_LOCATION"):
        KafkaSettings(kafka_ssl_certificate_location=str(pem))


def test_no_tls_settings_no_tls_keys() -> None:
    conf = KafkaSettings().client_config()
    assert not [k for k in conf if k.startswith("ssl.")]


def test_schema_registry_credentials_and_ca(pem: Path) -> None:
    settings = KafkaSettings(
        schema_registry_url="https://registry.example.com",
        schema_registry_basic_auth_user_info="svc:registry-pass",
        schema_registry_ssl_ca_location=str(pem),
    )
    assert settings.registry_config() == {
        "basic.auth.user.info": "svc:registry-pass",
        "ssl.ca.location": str(pem),
    }
    assert "registry-pass" not in repr(settings)
    assert KafkaSettings().registry_config() == {}


def test_the_registry_client_gets_the_credentials() -> None:
    from schemas.serde import _registry_client

    client = _registry_client("mock://creds-test", (("basic.auth.user.info", "svc:pw"),))
    assert client is _registry_client("mock://creds-test", (("basic.auth.user.info", "svc:pw"),))
    assert client is not _registry_client("mock://creds-test")


def test_metrics_on_their_own_port_and_only_there() -> None:
    settings = load_settings(woocommerce_webhook_secret=SAMPLE_SECRET, port=8080, receiver_metrics_port=9101)
    assert gunicorn_options(settings)["bind"] == ["0.0.0.0:8080", "0.0.0.0:9101"]
    publisher = FakePublisher()
    client = create_app(settings, publisher).test_client()
    public, private = {"SERVER_PORT": "8080"}, {"SERVER_PORT": "9101"}
    assert client.get("/metrics", environ_overrides=public).status_code == 404
    assert client.get("/metrics", environ_overrides=private).status_code == 200
    for env in (public, private):
        assert client.get("/healthz", environ_overrides=env).status_code == 200
        assert client.get("/readyz", environ_overrides=env).status_code == 200
    body = sample_body()
    path = "/webhook/woocommerce/order-created"
    assert (
        client.post(path, data=body, headers=signed_headers(body), environ_overrides=private).status_code
        == 404
    )
    assert (
        client.post(path, data=body, headers=signed_headers(body), environ_overrides=public).status_code
        == 200
    )
    assert len(publisher.calls) == 1


def test_by_default_metrics_share_the_webhook_port() -> None:
    settings = load_settings(woocommerce_webhook_secret=SAMPLE_SECRET)
    assert gunicorn_options(settings)["bind"] == ["0.0.0.0:8080"]
    assert create_app(settings, FakePublisher()).test_client().get("/metrics").status_code == 200


def test_the_metrics_port_must_differ_from_the_webhook_port() -> None:
    with pytest.raises(SettingsError, match="RECEIVER_METRICS_PORT"):
        load_settings(woocommerce_webhook_secret=SAMPLE_SECRET, port=8080, receiver_metrics_port=8080)
