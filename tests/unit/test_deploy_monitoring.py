"""deploy/prometheus and deploy/grafana against the code: every metric and label they name exists, the
dashboard shows every metric, the alerts cover the failure modes and name their runbook section.
What the alerts do with real series is test_prometheus_rules.py's (promtool)."""

from __future__ import annotations

import re

from tests.unit.deploy_k8s import README, load_yaml_docs, yaml_files
from tests.unit.deploy_metrics import (
    LEGEND,
    OUTCOME_VALUES,
    TARGET_LABELS,
    alerts,
    all_exprs,
    all_rules,
    dashboard,
    dashboard_exprs,
    dashboard_panels,
    dashboard_targets,
    grouping_labels,
    known_metrics,
    labels_of,
    metric_refs,
    recorded,
    recording_refs,
    rules_doc,
    sample_names,
    selector_matchers,
)

# ===================================================================================================
# YAML / JSON well-formedness


def test_every_yaml_file_in_deploy_parses() -> None:
    files = yaml_files()
    assert len(files) >= 10, files
    for path in files:
        docs = load_yaml_docs(path)
        assert docs, f"{path} is empty"
        for doc in docs:
            assert isinstance(doc, dict), f"{path}: every document is a mapping"


def test_dashboard_is_json_with_a_prometheus_datasource_variable() -> None:
    dash = dashboard()
    assert 36 <= dash["schemaVersion"] <= 41
    assert dash["uid"]
    assert dash["title"]
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dashboard_panels()]
    assert len(ids) == len(set(ids)), "panel ids are unique"
    for panel in dashboard_panels():
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == "${datasource}", panel["title"]
            assert panel["targets"], f"{panel['title']} has no query"
            for target in panel["targets"]:
                assert target.get("datasource", panel["datasource"])["uid"] == "${datasource}"


def test_dashboard_has_the_four_rows() -> None:
    rows = [p["title"] for p in dashboard()["panels"] if p["type"] == "row"]
    assert rows == ["Receiver", "Pipeline", "NetSuite", "Reconciliation"]


# ===================================================================================================
# metric names


def test_known_metrics_include_the_consumer_registry() -> None:
    names = set(known_metrics())
    for expected in (
        "woo_consumer_records",
        "woo_consumer_outcomes",
        "woo_consumer_retried",
        "woo_consumer_dead_lettered",
        "woo_consumer_in_flight_records",
        "woo_consumer_partition_lag",
        "woo_order_end_to_end_seconds",
        "woo_consumer_halted",
        "woo_consumer_ready",
    ):
        assert expected in names
    assert "woo_consumer_records_total" in sample_names()
    assert "woo_order_end_to_end_seconds_bucket" in sample_names()
    assert "woo_consumer_halted" in sample_names()
    assert "woo_consumer_halted_total" not in sample_names()
    assert known_metrics()["woo_consumer_partition_lag"][1] == {"topic", "partition"}


def test_scanner_sees_unknown_names_and_ignores_strings() -> None:
    expr = 'sum by (topic) (rate(woo_consumer_recordz_total{topic=~"woo_not_a_metric"}[5m])) + woo:x:y'
    assert metric_refs(expr) == {"woo_consumer_recordz_total"}
    assert recording_refs(expr) == {"woo:x:y"}
    assert list(selector_matchers(expr)) == [
        ("woo_consumer_recordz_total", "topic", "=~", "woo_not_a_metric")
    ]
    assert grouping_labels(expr) == {"topic"}


def test_every_metric_referenced_exists() -> None:
    known = sample_names()
    unknown = [(where, ref) for where, expr in all_exprs() for ref in metric_refs(expr) if ref not in known]
    assert not unknown, f"unknown metric names (check suffixes: _total, _bucket/_sum/_count): {unknown}"


def test_every_recording_rule_referenced_is_defined() -> None:
    defined = set(recorded())
    missing = [
        (where, ref) for where, expr in all_exprs() for ref in recording_refs(expr) if ref not in defined
    ]
    assert not missing, missing
    for name in defined:
        assert re.fullmatch(r"woo:[a-z0-9_]+:[a-z0-9_]+", name), f"{name}: level:metric:operations"


def test_label_matchers_use_real_labels_and_outcome_values() -> None:
    problems = []
    for where, expr in all_exprs():
        for series, label, op, value in selector_matchers(expr):
            family = sample_names().get(series)
            if family is None:
                continue  # reported by test_every_metric_referenced_exists
            if label not in known_metrics()[family][1] | TARGET_LABELS:
                problems.append(f"{where}: {series} has no label {label!r}")
            if label == "outcome" and series in OUTCOME_VALUES:
                values = value.split("|") if op in {"=~", "!~"} else [value]
                problems += [
                    f"{where}: {series} outcome {v!r} is not one of {sorted(OUTCOME_VALUES[series])}"
                    for v in values
                    if v not in OUTCOME_VALUES[series]
                ]
    assert not problems, problems


def test_grouping_labels_exist_on_the_series_aggregated() -> None:
    problems = [
        f"{where}: by/on ({label}) is not a label of {sorted(metric_refs(expr) | recording_refs(expr))}"
        for where, expr in all_exprs()
        for label in grouping_labels(expr)
        if label not in labels_of(expr)
    ]
    assert not problems, problems


def test_dashboard_legends_name_labels_of_their_query() -> None:
    problems = [
        f"{title}: legend {{{{{label}}}}}"
        for title, target in dashboard_targets()
        for label in LEGEND.findall(target.get("legendFormat", ""))
        if label not in labels_of(target["expr"])
    ]
    assert not problems, problems


def test_dashboard_shows_every_metric() -> None:
    shown = {sample_names()[ref] for _, expr in dashboard_exprs() for ref in metric_refs(expr)}
    assert set(known_metrics()) - shown == set()


# ===================================================================================================
# alerting rules

REQUIRED_ALERT_METRICS = {
    # what must be watched -> a metric (or matcher text) that some alert's expression must contain
    "halted on NetSuite auth": "woo_consumer_halted",
    "dead letters": "woo_consumer_dead_lettered_total",
    "lag / retry backlog": "woo:consumer_topic_lag:sum",
    "end-to-end latency": "woo:order_end_to_end_seconds:p95_10m",
    "receiver 503": 'outcome="unavailable"',
    "receiver 401": 'outcome="unauthorized"',
    "NetSuite throttling": "woo:netsuite_throttled:rate5m",
    "NetSuite 5xx": 'status=~"5.."',
    "consumer not ready": "woo_consumer_ready == 0",
    "no orders written": 'woo_consumer_outcomes_total{outcome="written"}',
    "a webhook not delivering": "woo_reconcile_webhook_active",
    "reconciliation stalled": "woo_reconcile_watermark_age_seconds",
    "orders the webhooks missed": "woo_reconcile_missed_orders_total",
    "WooCommerce refusing reconcile's key": 'woo_reconcile_halted{reason="credentials"}',
}


def test_alerts_cover_the_failure_modes() -> None:
    exprs = [a["expr"] for a in alerts().values()]
    missing = [what for what, text in REQUIRED_ALERT_METRICS.items() if not any(text in e for e in exprs)]
    assert not missing, missing


def test_every_halt_reason_pages() -> None:
    from consumer.pipeline.halt import HaltReason

    for reason in HaltReason:
        [alert] = [a for a in alerts().values() if f'woo_consumer_halted{{reason="{reason}"}}' in a["expr"]]
        assert alert["expr"].strip().endswith("== 1")
        assert alert["labels"]["severity"] == "page"
    assert alerts()["WooConsumerHaltedNetSuiteAuth"]["for"] == "2m"


def test_every_alert_has_severity_and_a_runbook_section() -> None:
    readme = README.read_text(encoding="utf-8")
    headings = {line.lstrip("#").strip().lower() for line in readme.splitlines() if line.startswith("#")}
    names = [r["alert"] for r in all_rules() if "alert" in r]
    assert len(names) == len(set(names)), "alert names are unique"
    for name, alert in alerts().items():
        assert alert["labels"]["severity"] in {"page", "ticket"}, name
        for key in ("summary", "description", "runbook", "runbook_url"):
            assert str(alert["annotations"].get(key, "")).strip(), f"{name}: annotation {key}"
        assert alert["annotations"]["runbook_url"].endswith("deploy/README.md#" + name.lower()), name
        assert name.lower() in headings, f"deploy/README.md has no section '### {name}'"


def test_rules_file_is_a_prometheus_groups_file() -> None:
    doc = rules_doc()
    assert set(doc) == {"groups"}
    group_names = [g["name"] for g in doc["groups"]]
    assert len(group_names) == len(set(group_names))
    for rule in all_rules():
        assert ("alert" in rule) != ("record" in rule)
        assert set(rule) <= {"alert", "record", "expr", "for", "labels", "annotations", "keep_firing_for"}
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule
