"""Receiver settings: contract names, defaults, errors that name the variable; readiness caching."""

from __future__ import annotations

import pytest

from receiver.app import Readiness
from receiver.publisher import producer_config
from receiver.server import gunicorn_options
from receiver.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in ("WOOCOMMERCE_WEBHOOK_SECRET", "PORT", "RECEIVER_WORKERS", "RECEIVER_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))  # no stray .env


def test_defaults_from_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET", "long-enough-s3cret&amp;")
    s = load_settings()
    assert s.woocommerce_webhook_secret.get_secret_value() == "long-enough-s3cret&amp;"  # stored form
    assert s.port == 8080
    assert s.receiver_max_body_bytes == 1_048_576
    assert 0 < s.receiver_produce_timeout_s < 60
    assert s.orders_topic == "woocommerce.orders"
    assert "s3cret" not in repr(s)


def test_missing_secret_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="WOOCOMMERCE_WEBHOOK_SECRET"):
        load_settings()


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_secret_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET", value)
    with pytest.raises(SettingsError, match=r"WOOCOMMERCE_WEBHOOK_SECRET: .*must not be empty"):
        load_settings()


@pytest.mark.parametrize(
    "value",
    [
        "fifteen-chars-x",  # 15
        "short&amp;&amp;&amp;",  # 20 as stored, but the HMAC key WooCommerce signs with is short&&& (8)
    ],
)
def test_a_short_secret_is_refused_without_printing_it(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET", value)
    with pytest.raises(SettingsError, match=r"WOOCOMMERCE_WEBHOOK_SECRET: .*at least 16 characters") as info:
        load_settings()
    assert value not in str(info.value)


def test_a_secret_of_sixteen_characters_is_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET", "sixteen-chars-xx")
    assert load_settings().woocommerce_webhook_secret.get_secret_value() == "sixteen-chars-xx"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PORT", "eighty"),
        ("PORT", "70000"),
        ("RECEIVER_WORKERS", "0"),
        ("RECEIVER_THREADS", "x"),
        ("RECEIVER_MAX_BODY_BYTES", "-1"),
        ("RECEIVER_PRODUCE_TIMEOUT_S", "90"),
        ("RECEIVER_LOG_LEVEL", "LOUD"),
    ],
)
def test_wrong_values_name_the_variable_not_the_secret(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET", "do-not-print-me-ever")
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value).count(":") >= 2
    assert f"{name}:" in str(info.value)
    assert "do-not-print-me-ever" not in str(info.value)


def test_producer_and_gunicorn_config_follow_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WOOCOMMERCE_WEBHOOK_SECRET", "x" * 16)
    monkeypatch.setenv("RECEIVER_WORKERS", "3")
    monkeypatch.setenv("RECEIVER_THREADS", "7")
    monkeypatch.setenv("RECEIVER_PRODUCE_TIMEOUT_S", "4")
    s = load_settings()
    conf = producer_config(s)
    assert conf["enable.idempotence"] is True
    assert conf["acks"] == "all"
    assert conf["delivery.timeout.ms"] == 4000
    assert conf["compression.type"] != "none"
    assert conf["linger.ms"] <= 10
    options = gunicorn_options(s)
    assert (options["workers"], options["threads"]) == (3, 7)
    assert options["worker_class"] == "receiver.worker.DeadlineWorker"
    assert options["preload_app"] is False
    assert options["graceful_timeout"] >= 4


def test_readiness_probes_at_most_once_per_cache_window() -> None:
    now = [100.0]
    answers = iter([True, False, True])
    calls: list[float] = []

    def probe() -> bool:
        calls.append(now[0])
        return next(answers)

    ready = Readiness(probe, cache_s=2.0, clock=lambda: now[0])
    assert [ready.check() for _ in range(50)] == [True] * 50
    now[0] += 1.9
    assert ready.check() is True
    now[0] += 0.2
    assert ready.check() is False
    now[0] += 2.0
    assert ready.check() is True
    assert calls == pytest.approx([100.0, 102.1, 104.1])
