"""Settings read the contract's variable names, say which one is wrong, and build librdkafka configs."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from common.kafka_settings import KafkaSettings
from consumer.__main__ import main as consumer_main
from consumer.settings import ConsumerSettings
from tests.unit.loopback_cases import LOOPBACK_URLS, NOT_LOOPBACK_URLS, NOT_ROOT_URLS

NETSUITE_ENV = {
    "NETSUITE_ACCOUNT_ID": "1234567_SB1",
    "NETSUITE_CONSUMER_KEY": "ck",
    "NETSUITE_CONSUMER_SECRET": "cs-secret-value",
    "NETSUITE_TOKEN_ID": "tid",
    "NETSUITE_TOKEN_SECRET": "ts-secret-value",
}


@pytest.fixture
def netsuite_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in NETSUITE_ENV.items():
        monkeypatch.setenv(key, value)


def test_contract_defaults(netsuite_env: None) -> None:
    s = ConsumerSettings()
    assert s.kafka_bootstrap_servers == "127.0.0.1:9092"
    assert s.orders_topic == "woocommerce.orders"
    assert s.retry_topics == [
        "woocommerce.orders.retry.1",
        "woocommerce.orders.retry.2",
        "woocommerce.orders.retry.3",
    ]
    assert s.dead_letter_topic == "woocommerce.orders.dlq"
    assert s.retry_delays_seconds == (5.0, 30.0, 300.0)
    assert s.consumer_group == "woo-netsuite-sync"
    assert s.netsuite_concurrency == 5
    assert s.kafka_session_timeout_ms == 45000
    assert s.metrics_port == 9102
    assert s.netsuite_version_field == "custbody_woo_modified_gmt"
    assert s.netsuite_base_url == "https://1234567-sb1.suitetalk.api.netsuite.com"


def test_environment_overrides(netsuite_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRY_DELAYS_SECONDS", "1, 2.5")
    monkeypatch.setenv("ORDERS_TOPIC", "shop.orders")
    monkeypatch.setenv("NETSUITE_BASE_URL", "http://127.0.0.1:9999/")
    monkeypatch.setenv("NETSUITE_ALLOW_HTTP", "true")
    s = ConsumerSettings()
    assert s.retry_delays_seconds == (1.0, 2.5)
    assert s.source_topics == ["shop.orders", "shop.orders.retry.1", "shop.orders.retry.2"]
    assert s.netsuite_base_url == "http://127.0.0.1:9999"


def test_librdkafka_configs(netsuite_env: None) -> None:
    s = ConsumerSettings()
    conf = s.consumer_config()
    assert conf["enable.auto.commit"] is False
    assert conf["enable.auto.offset.store"] is False
    assert conf["partition.assignment.strategy"] == "cooperative-sticky"
    producer = s.producer_config()
    assert producer["enable.idempotence"] is True
    assert producer["acks"] == "all"


def test_secrets_do_not_show_in_repr(netsuite_env: None) -> None:
    text = repr(ConsumerSettings())
    assert "cs-secret-value" not in text
    assert "ts-secret-value" not in text


def test_a_bad_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETRY_DELAYS_SECONDS", "5,soon")
    with pytest.raises(ValidationError, match="retry_delays_seconds"):
        KafkaSettings()


def test_the_consumer_command_names_missing_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in NETSUITE_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir("/")  # no .env file
    handlers = list(logging.getLogger().handlers)
    try:
        assert consumer_main(["run"]) == 2
    finally:  # its JSON handler writes to this test's captured stdout, closed once the test ends
        logging.getLogger().handlers[:] = handlers
    err = capsys.readouterr().err
    assert "NETSUITE_ACCOUNT_ID" in err
    assert "NETSUITE_TOKEN_SECRET" in err


def test_whatever_the_receiver_may_publish_the_consumer_can_forward_and_the_topics_accept(
    netsuite_env: None,
) -> None:
    """A retry/dead-letter hand-off copies the record: the consumer's producer must take any size
    the receiver's producer takes, and the topics (max.message.bytes) must take both."""
    from consumer.topics import plan_topics
    from receiver.publisher import producer_config
    from receiver.settings import load_settings

    receiver = producer_config(load_settings(woocommerce_webhook_secret="s" * 16))["message.max.bytes"]
    consumer_settings = ConsumerSettings()
    consumer = consumer_settings.producer_config()["message.max.bytes"]
    topic_limits = {int(p.config["max.message.bytes"]) for p in plan_topics(consumer_settings)}
    assert receiver <= consumer
    assert topic_limits == {consumer}


@pytest.mark.parametrize("account", ["1234567", "1234567_SB1", "TSTDRV1234567", "1234567_RP"])
def test_account_ids_as_netsuite_shows_them_are_accepted(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch, account: str
) -> None:
    monkeypatch.setenv("NETSUITE_ACCOUNT_ID", account)
    host = account.lower().replace("_", "-")
    assert ConsumerSettings().netsuite_base_url == f"https://{host}.suitetalk.api.netsuite.com"


@pytest.mark.parametrize(
    "account",
    [
        "evil.example.com/x?",  # would make the default base URL another host
        "1234567.attacker.net#",
        "1234567@evil",
        "1234567-sb1",  # the URL form: the OAuth realm would be wrong
        "1234567_SB1\n",
        "",
        "1234567__SB1",
    ],
)
def test_an_account_id_that_is_not_one_never_becomes_a_host_name(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch, account: str
) -> None:
    monkeypatch.setenv("NETSUITE_ACCOUNT_ID", account)
    with pytest.raises(ValidationError, match="netsuite_account_id"):
        ConsumerSettings()


def test_plain_http_base_url_is_refused_unless_explicitly_allowed(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETSUITE_BASE_URL", "http://netsuite-sim.example.com:9999")
    with pytest.raises(ValidationError, match=r"netsuite_base_url[\s\S]*NETSUITE_ALLOW_HTTP"):
        ConsumerSettings()
    monkeypatch.setenv("NETSUITE_ALLOW_HTTP", "false")
    with pytest.raises(ValidationError, match="netsuite_base_url"):
        ConsumerSettings()
    monkeypatch.setenv("NETSUITE_ALLOW_HTTP", "true")
    assert ConsumerSettings().netsuite_base_url == "http://netsuite-sim.example.com:9999"


@pytest.mark.parametrize("url", LOOPBACK_URLS)
def test_plain_http_to_a_loopback_host_needs_no_opt_in(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("NETSUITE_BASE_URL", url + "/")
    assert ConsumerSettings().netsuite_base_url == url


@pytest.mark.parametrize("url", NOT_LOOPBACK_URLS)
def test_plain_http_to_any_other_host_still_needs_the_opt_in(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("NETSUITE_BASE_URL", url)
    with pytest.raises(ValidationError, match=r"netsuite_base_url[\s\S]*NETSUITE_ALLOW_HTTP"):
        ConsumerSettings()


@pytest.mark.parametrize(
    "url", ["ftp://x.example.com", "https://", "https://u:p@x.example.com", "https://x.example.com/?a=1", "x"]
)
def test_a_base_url_must_be_a_root_https_url(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("NETSUITE_BASE_URL", url)
    with pytest.raises(ValidationError, match="netsuite_base_url"):
        ConsumerSettings()


def test_https_base_url_needs_no_opt_in(netsuite_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NETSUITE_BASE_URL", "https://proxy.example.com/netsuite/")
    assert ConsumerSettings().netsuite_base_url == "https://proxy.example.com/netsuite"


@pytest.mark.parametrize("url", NOT_ROOT_URLS)
def test_a_base_url_with_userinfo_a_query_or_a_fragment_is_refused(
    netsuite_env: None, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("NETSUITE_BASE_URL", url)
    with pytest.raises(ValidationError, match="root URL"):
        ConsumerSettings()
