"""The first hour in production: settings refused at start with the variable named, typos warned
about, librdkafka's lines rate-limited, every entry point's --help answered without side effects."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from common.env_check import unknown_variables, warn_unknown_variables
from common.kafka_logs import RateLimit
from common.kafka_settings import KafkaSettings
from consumer.settings import ConsumerSettings

ROOT = Path(__file__).parents[2]
NETSUITE = {
    "netsuite_account_id": "1234567_SB1",
    "netsuite_consumer_key": "k",
    "netsuite_consumer_secret": "s",
    "netsuite_token_id": "t",
    "netsuite_token_secret": "ts",
}


def refused(cls: Any, **values: Any) -> list[str]:
    with pytest.raises(ValidationError) as exc:
        cls(**values)
    return ["_".join(map(str, e["loc"])).upper() for e in exc.value.errors()]


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"kafka_bootstrap_servers": ""}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({"kafka_bootstrap_servers": "kafka"}, "KAFKA_BOOTSTRAP_SERVERS"),  # no port
        ({"kafka_bootstrap_servers": "kafka:9092,other:x"}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({"kafka_security_protocol": "BOGUS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"kafka_sasl_mechanism": "SCRAM"}, "KAFKA_SASL_MECHANISM"),
        ({"retry_delays_seconds": ""}, "RETRY_DELAYS_SECONDS"),  # silently no retry topics before
    ],
)
def test_kafka_settings_that_cannot_work_are_refused_naming_the_variable(
    values: dict[str, Any], variable: str
) -> None:
    assert variable in refused(KafkaSettings, **values)


def test_kafka_names_are_accepted_in_any_case() -> None:
    s = KafkaSettings(kafka_security_protocol="sasl_ssl", kafka_sasl_mechanism="scram-sha-512")
    assert (s.kafka_security_protocol, s.kafka_sasl_mechanism) == ("SASL_SSL", "SCRAM-SHA-512")


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"netsuite_token_secret": ""}, "NETSUITE_TOKEN_SECRET"),
        ({"netsuite_consumer_key": "  "}, "NETSUITE_CONSUMER_KEY"),
        ({"netsuite_base_url": "not a url"}, "NETSUITE_BASE_URL"),
    ],
)
def test_netsuite_settings_that_cannot_work_are_refused(change: dict[str, Any], variable: str) -> None:
    assert variable in refused(ConsumerSettings, **{**NETSUITE, **change})


def test_unset_items_are_named_with_the_orders_they_would_dead_letter() -> None:
    warnings = ConsumerSettings(**NETSUITE, netsuite_shipping_item_id="1").unset_items()
    assert any(
        w.startswith("NETSUITE_DISCOUNT_ITEM_ID is not set: every order with a coupon") for w in warnings
    )
    assert not any("SHIPPING" in w for w in warnings)


def test_a_misspelt_variable_is_named_with_the_closest_known_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("# comment\nexport KAFKA_BOOTSTRAP_SERVER=x:1\n")
    found = unknown_variables(
        [ConsumerSettings], {"NETSUITE_CONCURENCY": "15", "NETSUITE_CONCURRENCY": "5", "HOME": "/"}, env_file
    )
    assert found == [
        ("KAFKA_BOOTSTRAP_SERVER", "KAFKA_BOOTSTRAP_SERVERS"),
        ("NETSUITE_CONCURENCY", "NETSUITE_CONCURRENCY"),
    ]
    os.environ["NETSUITE_CONCURENCY"] = "15"
    try:
        with caplog.at_level(logging.WARNING, logger="common.env_check"):
            assert "NETSUITE_CONCURENCY" in warn_unknown_variables()
    finally:
        del os.environ["NETSUITE_CONCURENCY"]
    assert (
        "unknown variable NETSUITE_CONCURENCY is ignored; did you mean NETSUITE_CONCURRENCY?" in caplog.text
    )
    assert "15" not in caplog.text  # names only, never values


def test_librdkafka_lines_are_rate_limited_per_kind() -> None:
    now = [0.0]
    limit = RateLimit(every_s=60, clock=lambda: now[0])

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("kafka", logging.ERROR, __file__, 1, msg, None, None)

    fail = "FAIL [thrd:127.0.0.1:1/bootstrap]: Connect to ipv4#127.0.0.1:1 failed (after {} ms)"
    passed = [limit.filter(record(fail.format(n))) for n in range(45)]  # a second's worth
    assert passed.count(True) == 1
    assert limit.filter(record("another kind of line"))
    now[0] = 61
    later = record(fail.format(99))
    assert limit.filter(later)
    assert later.getMessage().endswith("(44 similar lines held back)")


ENTRY_POINTS = [
    ["receiver"],
    ["consumer"],
    ["consumer", "run"],
    ["consumer", "topics"],
    ["consumer", "redrive"],
    ["consumer", "replay"],
    ["bench"],
    ["bench.consumer"],
    ["bench.receiver"],
    ["bench.memory"],
    ["devstack.run"],
    ["devstack.netsuite_sim"],
    ["devstack.contract_doc"],
]


@pytest.mark.parametrize("command", ENTRY_POINTS, ids=[" ".join(c) for c in ENTRY_POINTS])
def test_every_entry_point_answers_help_without_side_effects(command: list[str]) -> None:
    """With every setting a real start needs (the receiver would otherwise start serving)."""
    env = {
        **os.environ,
        "WOOCOMMERCE_WEBHOOK_SECRET": "a-secret-of-16-chars",
        "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
    }
    result = subprocess.run(
        [sys.executable, "-m", *command, "--help"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(("usage: python -m ", "usage: make run"))
    assert len(result.stdout.splitlines()) >= 3
    assert "error" not in result.stderr.lower()
