"""deploy/prometheus/rules.yaml is proven by promtool: every rule-test file in deploy/prometheus/tests/
passes `promtool test rules`, and every alert has a case where it fires and one where it stays silent
(every recording rule a `promql_expr_test`), so a new alert cannot land without its test.

Needs promtool (Debian's prometheus package, which `.ci/run` installs); without it the tests fail and
say so. How to write a case: deploy/README.md, "Testing the alert rules".
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.tools import require

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests"
TEST_FILES = sorted(RULE_TESTS.glob("*.yaml"))


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def rules_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in doc["groups"] for rule in group["rules"]]


@dataclass
class Coverage:
    """What the rule-test files check, per alert and per recording rule."""

    fires: set[str] = field(default_factory=set)
    silent: set[str] = field(default_factory=set)
    exprs: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, test_docs: Iterable[dict[str, Any]]) -> Coverage:
        cov = cls()
        for doc in test_docs:
            for case in doc.get("tests", []):
                for check in case.get("alert_rule_test", []):
                    (cov.fires if check.get("exp_alerts") else cov.silent).add(check["alertname"])
                cov.exprs += [check["expr"] for check in case.get("promql_expr_test", [])]
        return cov

    def gaps(self, rules: list[dict[str, Any]]) -> list[str]:
        alerts = {r["alert"] for r in rules if "alert" in r}
        records = [r["record"] for r in rules if "record" in r]
        out = [f"{a}: no case where it fires" for a in sorted(alerts - self.fires)]
        out += [f"{a}: no case where it stays silent" for a in sorted(alerts - self.silent)]
        out += [f"{a}: tested, but no such alert" for a in sorted((self.fires | self.silent) - alerts)]
        out += [f"{r}: no promql_expr_test" for r in records if not any(r in e for e in self.exprs)]
        return out


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require("promtool"), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_rules_file_passes_promtool_check() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", TEST_FILES, ids=[p.name for p in TEST_FILES])
def test_rule_test_file_passes(path: Path) -> None:
    result = promtool("test", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_test_file_loads_the_real_rules_file() -> None:
    assert len(TEST_FILES) >= 5, TEST_FILES
    for path in TEST_FILES:
        assert load(path)["rule_files"] == ["../rules.yaml"], path


def test_every_alert_fires_and_stays_silent_in_some_case() -> None:
    gaps = Coverage.of(load(p) for p in TEST_FILES).gaps(rules_of(load(RULES)))
    assert not gaps, "add cases to deploy/prometheus/tests/ (deploy/README.md says how): " + "; ".join(gaps)


def test_the_coverage_check_sees_a_missing_test() -> None:
    rules = [
        {"alert": "Tested", "expr": "up == 0"},
        {"alert": "OnlyFires", "expr": "up == 0"},
        {"alert": "Untested", "expr": "up == 0"},
        {"record": "job:up:sum", "expr": "sum by (job) (up)"},
    ]
    tests = {
        "tests": [
            {
                "alert_rule_test": [
                    {"alertname": "Tested", "exp_alerts": [{"exp_labels": {}}]},
                    {"alertname": "Tested", "exp_alerts": []},
                    {"alertname": "OnlyFires", "exp_alerts": [{"exp_labels": {}}]},
                    {"alertname": "Typo", "exp_alerts": []},
                ]
            }
        ]
    }
    assert Coverage.of([tests]).gaps(rules) == [
        "Untested: no case where it fires",
        "OnlyFires: no case where it stays silent",
        "Untested: no case where it stays silent",
        "Typo: tested, but no such alert",
        "job:up:sum: no promql_expr_test",
    ]


def test_promtool_fails_a_wrong_expectation(tmp_path: Path) -> None:
    """The runner reads promtool's verdict: a case expecting a pending alert to fire fails."""
    wrong = {
        "rule_files": [str(RULES)],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": 'woo_consumer_halted{namespace="shop"}', "values": "1x5"}],
                "alert_rule_test": [
                    {
                        "eval_time": "1m",  # `for: 2m`: still pending
                        "alertname": "WooConsumerHaltedNetSuiteAuth",
                        "exp_alerts": [{"exp_labels": {"namespace": "shop"}}],
                    }
                ],
            }
        ],
    }
    path = tmp_path / "wrong.yaml"
    path.write_text(yaml.safe_dump(wrong), encoding="utf-8")
    result = promtool("test", "rules", str(path))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_a_missing_promtool_fails_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no promtool there, nor next to this interpreter
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install prometheus"):
        require("promtool")
