"""deploy/ stays in step with the code: metric names in alerts and the dashboard, env var names in the
ConfigMap and Deployments, probes, limits, shutdown timings, and the kustomize file lists.

Needs PyYAML (`pyyaml`, dev extra). The rendered overlays and their validation against the Kubernetes
and CRD schemas are in test_k8s_rendered.py; the alert rules' behaviour in test_prometheus_rules.py.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase
from pydantic import SecretStr
from pydantic_settings import BaseSettings

import consumer.member  # every consumer module: some register their own metrics (refund detail)
import consumer.metrics  # registers the consumer's metrics in the default registry
from common.kafka_settings import KafkaSettings
from consumer.netsuite.settings import NetSuiteSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
RULES = DEPLOY / "prometheus" / "rules.yaml"
DASHBOARD = DEPLOY / "grafana" / "dashboard.json"
README = DEPLOY / "README.md"

# ---------------------------------------------------------------------------------------------------
# Metric names. The consumer's (and the NetSuite client's and governor's) are read from
# prometheus_client's default REGISTRY after importing their modules; the receiver's from the registry of
# a fresh `receiver.metrics.ReceiverMetrics()`. The receiver's and the NetSuite client's names were fixed
# in the design before their modules existed: they are hard-coded here, still count when a module is
# missing, and must agree with the code (type and labels) where it exists.
# name (without the Counter `_total` suffix) -> (type, label names)
HARD_CODED_METRICS: dict[str, tuple[str, frozenset[str]]] = {
    "woo_receiver_requests": ("counter", frozenset({"outcome"})),
    "woo_receiver_produce_latency_seconds": ("histogram", frozenset()),
    "woo_receiver_in_flight_requests": ("gauge", frozenset()),
    "woo_receiver_payload_bytes": ("histogram", frozenset()),
    "woo_netsuite_request_seconds": ("histogram", frozenset({"operation", "status"})),
    "woo_netsuite_throttled": ("counter", frozenset()),
    "woo_netsuite_governor_window": ("gauge", frozenset()),
}
# Modules whose import registers metrics in the default registry, when they exist.
OPTIONAL_METRIC_MODULES = (
    "consumer.netsuite.client",
    "consumer.netsuite.governor",
    "consumer.netsuite.booking_metrics",
    "consumer.pipeline.after_fulfilment",
    "consumer.reconcile.metrics",
)
RECEIVER_OUTCOMES = frozenset(
    {
        "accepted",
        "duplicate",
        "ping",
        "unauthorized",
        "invalid",
        "too_large",
        "unavailable",
        "ignored",
        "timeout",
    }
)
# From the help text of consumer.metrics.OUTCOMES.
CONSUMER_OUTCOMES = frozenset(
    {
        "written",
        "skipped_unpaid",
        "skipped_closed",
        "skipped_stale",
        "skipped_unchanged",
        "closed",
        "retried",
        "dead_lettered",
    }
)
OUTCOME_VALUES = {
    "woo_receiver_requests_total": RECEIVER_OUTCOMES,
    "woo_consumer_outcomes_total": CONSUMER_OUTCOMES,
}
# Labels Prometheus' scrape config attaches (target labels), valid on every series.
TARGET_LABELS = frozenset({"namespace", "instance", "job", "pod", "container", "le"})
SAMPLE_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}

# ---------------------------------------------------------------------------------------------------
# Environment variables of the contract (/work/shared/contract.md - the names are fixed).
CONTRACT_ENV = frozenset(
    {
        "WOOCOMMERCE_WEBHOOK_SECRET",
        "WOOCOMMERCE_API_URL",
        "WOOCOMMERCE_CONSUMER_KEY",
        "WOOCOMMERCE_CONSUMER_SECRET",
        "NETSUITE_ACCOUNT_ID",
        "NETSUITE_CONSUMER_KEY",
        "NETSUITE_CONSUMER_SECRET",
        "NETSUITE_TOKEN_ID",
        "NETSUITE_TOKEN_SECRET",
        "NETSUITE_BASE_URL",
        "NETSUITE_CONCURRENCY",
        "NETSUITE_SUBSIDIARY_ID",
        "NETSUITE_VERSION_FIELD",
        "NETSUITE_SHIPPING_ITEM_ID",
        "NETSUITE_DISCOUNT_ITEM_ID",
        "NETSUITE_FEE_ITEM_ID",
        "NETSUITE_TAX_MODE",
        "NETSUITE_TAX_ITEM_ID",
        "NETSUITE_REFUND_RECORD",
        "NETSUITE_REFUND_ITEM_ID",
        "NETSUITE_PAYMENT_RECORDS",
        "NETSUITE_PAYMENT_METHOD_MAP",
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_SESSION_TIMEOUT_MS",
        "ORDERS_TOPIC_PARTITIONS",
        "SCHEMA_REGISTRY_URL",
        "ORDERS_TOPIC",
        "CONSUMER_GROUP",
        "RETRY_DELAYS_SECONDS",
        "PORT",
        "METRICS_PORT",
    }
)
CONTRACT_SECRETS = frozenset(
    {
        "WOOCOMMERCE_WEBHOOK_SECRET",
        "WOOCOMMERCE_CONSUMER_KEY",
        "WOOCOMMERCE_CONSUMER_SECRET",
        "NETSUITE_CONSUMER_KEY",
        "NETSUITE_CONSUMER_SECRET",
        "NETSUITE_TOKEN_ID",
        "NETSUITE_TOKEN_SECRET",
    }
)
OPTIONAL_SETTINGS_MODULES = (
    "receiver.settings",
    "consumer.settings",
    "consumer.reconcile.settings",
    "consumer.audit.settings",
)


# ===================================================================================================
# helpers


def _import_optional(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None  # the module (or its package) is not written yet
        raise


def _collectors() -> list[MetricWrapperBase]:
    """Metric objects of the modules that define ours (their label names are not in the registry)."""
    objects: list[Any] = list(vars(consumer.metrics).values())
    for name in OPTIONAL_METRIC_MODULES:
        module = _import_optional(name)
        if module is not None:
            objects += vars(module).values()
    return [o for o in objects if isinstance(o, MetricWrapperBase)]


def _receiver_registry() -> tuple[CollectorRegistry | None, list[MetricWrapperBase]]:
    module = _import_optional("receiver.metrics")
    factory = getattr(module, "ReceiverMetrics", None)
    if factory is None:
        return None, []
    instance = factory()  # a fresh CollectorRegistry of its own: no global state touched
    return instance.registry, [o for o in vars(instance).values() if isinstance(o, MetricWrapperBase)]


@cache
def known_metrics() -> dict[str, tuple[str, frozenset[str]]]:
    """Metric family name -> (type, label names): what the code registers, plus the hard-coded names."""
    receiver_registry, receiver_collectors = _receiver_registry()
    labels = {c._name: frozenset(c._labelnames) for c in _collectors() + receiver_collectors}
    registries = [REGISTRY] if receiver_registry is None else [REGISTRY, receiver_registry]
    registered = {
        family.name: (family.type, labels.get(family.name, frozenset()))
        for registry in registries
        for family in registry.collect()
        if family.name.startswith("woo_")
    }
    for name, spec in HARD_CODED_METRICS.items():
        if name in registered:
            assert registered[name] == spec, (
                f"{name}: the code defines {registered[name]}, deploy/ expects {spec}"
            )
    return {**HARD_CODED_METRICS, **registered}


@cache
def sample_names() -> dict[str, str]:
    """Every series name a scrape can return -> its family name."""
    out: dict[str, str] = {}
    for family, (kind, _labels) in known_metrics().items():
        for suffix in SAMPLE_SUFFIXES[kind]:
            out[family + suffix] = family
    return out


def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def load_yaml_docs(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


def k8s_objects(directory: Path = K8S) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(directory.rglob("*.yaml")):
        for doc in load_yaml_docs(path):
            if isinstance(doc, dict) and "kind" in doc and doc["kind"] != "Kustomization":
                yield path, doc


def base_object(kind: str, name_part: str) -> dict[str, Any]:
    found = [
        d
        for _, d in k8s_objects(BASE)
        if d["kind"] == kind and name_part in d.get("metadata", {}).get("name", "")
    ]
    assert len(found) == 1, f"expected one {kind} named *{name_part}* in {BASE}, got {len(found)}"
    return found[0]


def base_objects(kind: str) -> list[dict[str, Any]]:
    return [d for _, d in k8s_objects(BASE) if d["kind"] == kind]


def configmap() -> dict[str, Any]:
    cms = base_objects("ConfigMap")
    assert len(cms) == 1, "the base has exactly one ConfigMap of settings"
    return cms[0]


def settings_env_names() -> tuple[set[str], set[str]]:
    """(env var names, secret env var names) declared by the settings classes that exist."""
    classes: list[type[BaseSettings]] = [KafkaSettings, NetSuiteSettings]
    for name in OPTIONAL_SETTINGS_MODULES:
        module = _import_optional(name)
        if module is not None:
            classes += [
                c
                for c in vars(module).values()
                if inspect.isclass(c) and issubclass(c, BaseSettings) and c is not BaseSettings
            ]
    names: set[str] = set()
    secrets: set[str] = set()
    for cls in classes:
        prefix = str(cls.model_config.get("env_prefix") or "")
        for field_name, field in cls.model_fields.items():
            alias = field.validation_alias if isinstance(field.validation_alias, str) else None
            env = (alias or prefix + field_name).upper()
            names.add(env)
            if "SecretStr" in repr(field.annotation) or field.annotation is SecretStr:
                secrets.add(env)
    return names, secrets


def allowed_env() -> set[str]:
    return set(CONTRACT_ENV) | settings_env_names()[0]


def secret_env() -> set[str]:
    return set(CONTRACT_SECRETS) | settings_env_names()[1]


def pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj["spec"]["template"]["spec"]


def container(obj: dict[str, Any]) -> dict[str, Any]:
    containers = pod_spec(obj)["containers"]
    assert len(containers) == 1, f"{obj['metadata']['name']}: one container expected"
    return containers[0]


# --- PromQL scanning -------------------------------------------------------------------------------
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_IDENT = re.compile(r"(?<![\w:$])([a-zA-Z_:][a-zA-Z0-9_:]*)")
_SELECTOR = re.compile(r"\b(woo_[a-zA-Z0-9_]+)\s*\{([^}]*)\}")
_MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_LEGEND = re.compile(r"\{\{\s*([a-zA-Z_]\w*)\s*\}\}")


def metric_refs(expr: str) -> set[str]:
    """woo_* series names an expression reads."""
    bare = _STRING.sub('""', expr)
    return {t for t in _IDENT.findall(bare) if t.startswith("woo_")}


def recording_refs(expr: str) -> set[str]:
    bare = _STRING.sub('""', expr)
    return {t for t in _IDENT.findall(bare) if ":" in t}


def selector_matchers(expr: str) -> Iterator[tuple[str, str, str, str]]:
    """(series, label, op, value) for every label matcher on a woo_* series."""
    for series, body in _SELECTOR.findall(expr):
        for label, op, value in _MATCHER.findall(body):
            yield series, label, op, value


def grouping_labels(expr: str) -> set[str]:
    return {lbl.strip() for group in _GROUPING.findall(expr) for lbl in group.split(",") if lbl.strip()}


@cache
def rules_doc() -> dict[str, Any]:
    docs = load_yaml_docs(RULES)
    assert len(docs) == 1
    return docs[0]


def all_rules() -> list[dict[str, Any]]:
    return [r for g in rules_doc()["groups"] for r in g["rules"]]


def alerts() -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for r in all_rules() if "alert" in r}


def recorded() -> dict[str, dict[str, Any]]:
    return {r["record"]: r for r in all_rules() if "record" in r}


@cache
def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def dashboard_panels() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in dashboard()["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))  # collapsed rows nest their panels
    return out


def dashboard_targets() -> list[tuple[str, dict[str, Any]]]:
    return [(p["title"], t) for p in dashboard_panels() for t in p.get("targets", [])]


def dashboard_exprs() -> list[tuple[str, str]]:
    exprs = [(title, t["expr"]) for title, t in dashboard_targets()]
    for var in dashboard()["templating"]["list"]:
        query = var.get("query")
        if isinstance(query, dict):
            query = query.get("query")
        if var.get("type") == "query" and isinstance(query, str):
            exprs.append((f"variable {var['name']}", query))
    return exprs


def all_exprs() -> list[tuple[str, str]]:
    rules = [(r.get("alert") or r["record"], r["expr"]) for r in all_rules()]
    return rules + [(f"dashboard: {title}", expr) for title, expr in dashboard_exprs()]


def labels_of(expr: str) -> set[str]:
    """Labels the series an expression reads can carry (recorded series: those of their expression)."""
    labels = set(TARGET_LABELS)
    for ref in metric_refs(expr):
        family = sample_names().get(ref)
        if family is not None:
            labels |= known_metrics()[family][1]
    for ref in recording_refs(expr):
        rule = recorded().get(ref)
        if rule is not None:
            labels |= labels_of(rule["expr"])
    return labels


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
        for label in _LEGEND.findall(target.get("legendFormat", ""))
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


# ===================================================================================================
# Kubernetes manifests


def test_configmap_holds_only_non_secret_contract_variables() -> None:
    allowed, secrets = allowed_env(), secret_env()
    data_keys = [
        (path.relative_to(DEPLOY), key)
        for path, obj in k8s_objects()
        if obj["kind"] == "ConfigMap"
        for key in obj.get("data", {})
    ]
    assert data_keys
    unknown = [(p, k) for p, k in data_keys if k not in allowed]
    assert not unknown, f"not contract variable names: {unknown}"
    leaked = [(p, k) for p, k in data_keys if k in secrets]
    assert not leaked, f"secrets belong in the Secret, not the ConfigMap: {leaked}"
    for path, obj in k8s_objects():
        if obj["kind"] == "ConfigMap":
            assert all(isinstance(v, str) for v in obj.get("data", {}).values()), path


def test_container_env_and_secret_refs_are_contract_names() -> None:
    example = load_yaml_docs(BASE / "secret.example.yaml")[0]
    secret_name = example["metadata"]["name"]
    secret_keys = set(example["stringData"])
    assert secret_keys <= allowed_env()
    assert CONTRACT_SECRETS - {"WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET"} <= secret_keys
    cm_name = configmap()["metadata"]["name"]
    for obj in base_objects("Deployment") + base_objects("Job"):
        ctr = container(obj)
        for env in ctr.get("env", []):
            assert env["name"] in allowed_env(), f"{obj['metadata']['name']}: {env['name']}"
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None:
                assert ref["name"] == secret_name
                assert ref["key"] in secret_keys
        for src in ctr.get("envFrom", []):
            assert src["configMapRef"]["name"] == cm_name


def test_secret_example_has_placeholders_and_is_not_applied() -> None:
    example = load_yaml_docs(BASE / "secret.example.yaml")[0]
    assert example["kind"] == "Secret"
    for key, value in example["stringData"].items():
        assert re.fullmatch(r"<[^<>]+>", value), f"{key} must be a placeholder"
    for kustomization in K8S.rglob("kustomization.yaml"):
        text = kustomization.read_text(encoding="utf-8")
        listed = kustomization_entries(load_yaml_docs(kustomization)[0])
        assert "secret.example.yaml" not in [Path(e).name for e in listed], kustomization
        assert "secretGenerator" not in text


def test_every_deployment_has_probes_limits_and_a_locked_down_container() -> None:
    deployments = base_objects("Deployment")
    assert {d["metadata"]["name"] for d in deployments} == {
        "woo-netsuite-sync-receiver",
        "woo-netsuite-sync-consumer",
        "woo-netsuite-sync-reconcile",
    }
    for obj in deployments + base_objects("Job"):
        name = obj["metadata"]["name"]
        ctr = container(obj)
        if obj["kind"] == "Deployment":
            assert ctr["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert ctr["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            port_names = {p["name"] for p in ctr["ports"]}
            for probe in ("readinessProbe", "livenessProbe"):
                assert ctr[probe]["httpGet"]["port"] in port_names, f"{name} {probe}"
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(ctr["resources"][kind]), f"{name} resources.{kind}"
        pod = pod_spec(obj)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] > 0, name
        sc = ctr["securityContext"]
        assert sc["readOnlyRootFilesystem"] is True, name
        assert sc["allowPrivilegeEscalation"] is False, name
        assert sc["capabilities"]["drop"] == ["ALL"], name
        mounts = {m["mountPath"]: m["name"] for m in ctr["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{name}: writable /tmp"
        assert ctr["image"].startswith("ghcr.io/example/woo-netsuite-sync:"), name


def test_ports_agree_with_the_configmap_and_scrape_annotations() -> None:
    data = configmap()["data"]
    receiver = base_object("Deployment", "receiver")
    consumer_dep = base_object("Deployment", "consumer")
    reconcile = base_object("Deployment", "reconcile")
    for obj, ports, scraped in (
        (receiver, {"http": "PORT", "metrics": "RECEIVER_METRICS_PORT"}, "RECEIVER_METRICS_PORT"),
        (consumer_dep, {"metrics": "METRICS_PORT"}, "METRICS_PORT"),
        (reconcile, {"metrics": "METRICS_PORT"}, "METRICS_PORT"),
    ):
        declared = {p["name"]: p["containerPort"] for p in container(obj)["ports"]}
        assert declared == {name: int(data[var]) for name, var in ports.items()}
        annotations = obj["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true"
        assert annotations["prometheus.io/port"] == data[scraped]
        assert annotations["prometheus.io/path"] == "/metrics"


def _setting_s(module_name: str, class_name: str, field: str) -> float | None:
    """A settings default, overridden by the ConfigMap when it sets the variable."""
    module = _import_optional(module_name)
    cls = getattr(module, class_name, None)
    if cls is None or field not in cls.model_fields:
        return None
    return float(configmap()["data"].get(field.upper(), cls.model_fields[field].default))


def test_receiver_drains_before_sigterm_and_outlives_in_flight_webhooks() -> None:
    receiver = base_object("Deployment", "receiver")
    assert receiver["spec"]["replicas"] >= 2
    ctr = container(receiver)
    assert ctr["args"] == ["receiver"]
    command = ctr["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    pre_stop = int(command[1])
    assert pre_stop >= 5, "endpoint removal must reach kube-proxy and the ingress before SIGTERM"
    graceful = _setting_s("receiver.settings", "ReceiverSettings", "receiver_graceful_timeout_s")
    produce = _setting_s("receiver.settings", "ReceiverSettings", "receiver_produce_timeout_s")
    if graceful is None or produce is None:  # receiver not written yet: the producer's delivery timeout
        delivery_ms = inspect.signature(KafkaSettings.producer_config).parameters["delivery_timeout_ms"]
        graceful, produce = delivery_ms.default / 1000, 0.0
    grace = pod_spec(receiver)["terminationGracePeriodSeconds"]
    # preStop, then gunicorn's graceful window for in-flight requests, then the producers' flush.
    assert grace > pre_stop + graceful + produce, "in-flight webhooks must get their broker ack"


def test_receiver_probes_outwait_the_read_deadline() -> None:
    """Slow clients can make a request wait RECEIVER_READ_TIMEOUT_S for a thread (receiver/worker.py);
    a probe must wait longer, plus the broker probe for /readyz, or slow clients restart the pod."""
    receiver = container(base_object("Deployment", "receiver"))
    read = _setting_s("receiver.settings", "ReceiverSettings", "receiver_read_timeout_s")
    ready = _setting_s("receiver.settings", "ReceiverSettings", "receiver_ready_timeout_s")
    assert read is not None
    assert ready is not None
    assert receiver["livenessProbe"]["timeoutSeconds"] > read + 1
    assert receiver["readinessProbe"]["timeoutSeconds"] > read + ready + 1


def test_consumer_replicas_fit_the_partitions_and_grace_covers_netsuite_calls() -> None:
    consumer_dep = base_object("Deployment", "consumer")
    partitions = int(configmap()["data"]["ORDERS_TOPIC_PARTITIONS"])
    surge = consumer_dep["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert 1 <= consumer_dep["spec"]["replicas"] + int(surge) <= partitions
    assert container(consumer_dep)["args"] == ["consumer"]
    fields = NetSuiteSettings.model_fields
    call_s = fields["netsuite_connect_timeout_s"].default + fields["netsuite_read_timeout_s"].default
    grace = pod_spec(consumer_dep)["terminationGracePeriodSeconds"]
    assert grace >= call_s + 30, "a full-timeout NetSuite call, then the commit and the group leave"
    runner = _import_optional("consumer.runner")
    if runner is not None and hasattr(runner, "Runner"):
        drain = inspect.signature(runner.Runner).parameters.get("drain_timeout_s")
        if drain is not None and isinstance(drain.default, int | float):
            assert grace > drain.default + 15, "the member's own drain bound, then commit and leave"


def test_receiver_service_pdb_and_hpa_select_the_receiver() -> None:
    receiver = base_object("Deployment", "receiver")
    pod_labels = receiver["spec"]["template"]["metadata"]["labels"]
    service = base_object("Service", "receiver")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    port_names = {p["name"] for p in container(receiver)["ports"]}
    assert all(p["targetPort"] in port_names for p in service["spec"]["ports"])
    for pdb in base_objects("PodDisruptionBudget"):
        assert any(
            pdb["spec"]["selector"]["matchLabels"].items()
            <= d["spec"]["template"]["metadata"]["labels"].items()
            for d in base_objects("Deployment")
        ), pdb["metadata"]["name"]
    assert "receiver" in {
        p["metadata"]["name"].rsplit("-", 1)[-1] for p in base_objects("PodDisruptionBudget")
    }
    hpa = base_object("HorizontalPodAutoscaler", "receiver")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": receiver["metadata"]["name"],
    }
    assert hpa["spec"]["minReplicas"] >= 2
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]


def test_topics_job_runs_consumer_topics_and_is_a_hook() -> None:
    job = base_object("Job", "topics")
    assert container(job)["args"] == ["consumer", "topics"]
    annotations = job["metadata"]["annotations"]
    assert "argocd.argoproj.io/hook" in annotations
    assert "pre-install" in annotations["helm.sh/hook"]
    assert pod_spec(job)["restartPolicy"] in {"Never", "OnFailure"}


# --- kustomize ---------------------------------------------------------------------------------------


def kustomization_entries(kustomization: dict[str, Any]) -> list[str]:
    entries = list(kustomization.get("resources", []))
    entries += [p["path"] for p in kustomization.get("patches", []) if "path" in p]
    entries += list(kustomization.get("patchesStrategicMerge", []))
    return entries


def test_kustomizations_list_files_that_exist() -> None:
    kustomizations = sorted(K8S.rglob("kustomization.yaml"))
    assert {k.parent for k in kustomizations} >= {BASE, K8S / "overlays" / "example"}
    for kustomization in kustomizations:
        for entry in kustomization_entries(load_yaml_docs(kustomization)[0]):
            target = kustomization.parent / entry
            assert target.exists(), f"{kustomization}: {entry} does not exist"
            if target.is_dir():
                assert (target / "kustomization.yaml").exists(), f"{kustomization}: {entry}"


def test_base_lists_every_manifest_but_the_secret_example() -> None:
    listed = set(load_yaml_docs(BASE / "kustomization.yaml")[0]["resources"])
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == on_disk


def test_overlay_sets_image_and_namespace() -> None:
    overlay = load_yaml_docs(K8S / "overlays" / "example" / "kustomization.yaml")[0]
    assert overlay["namespace"]
    assert overlay["images"][0]["name"] == "ghcr.io/example/woo-netsuite-sync"
    assert overlay["images"][0].get("newTag") or overlay["images"][0].get("digest")


# ===================================================================================================
# Dockerfile


def test_dockerfile_is_slim_non_root_and_without_dev_extras() -> None:
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    instructions = [
        line.split(None, 1) for line in re.sub(r"\\\n", " ", text).splitlines() if line and line[0] != "#"
    ]
    image_args = dict(a.split("=", 1) for op, a in instructions if op == "ARG" and "=" in a)
    froms = [re.sub(r"\$\{(\w+)\}", lambda m: image_args[m[1]], a) for op, a in instructions if op == "FROM"]
    assert all(f.startswith("python:3.11-slim") for f in froms)
    users = [args.strip() for op, args in instructions if op == "USER"]
    assert users, "the image must not run as root"
    assert users[-1].split(":")[0] not in {"0", "root"}
    assert users[-1].split(":")[0].isdigit(), "numeric, so runAsNonRoot can verify it"
    runs = " ".join(args for op, args in instructions if op == "RUN")
    assert "-r /tmp/requirements.lock" in runs, "the runtime lock, not the dev lock (test_supply_chain.py)"
    assert "requirements-dev" not in runs
    assert ".[" not in runs, "no extras (dev tools) in the image"
    copied = {args.split()[0] for op, args in instructions if op == "COPY" and "--from" not in args}
    assert not copied & {"devstack/", "tests/", "bench/"}, "runtime packages only"
    entrypoint = json.loads(next(args for op, args in instructions if op == "ENTRYPOINT"))
    assert entrypoint[-2:] == ["python", "-m"]


# --- network policies and where secrets go ----------------------------------------------------------


def network_policies() -> dict[str, dict[str, Any]]:
    return {
        d["metadata"]["name"].removeprefix("woo-netsuite-sync-"): d for d in base_objects("NetworkPolicy")
    }


def _peers(rule: dict[str, Any]) -> list[str]:
    """'ns/app' for namespace+pod selectors, 'cidr' for ip blocks."""
    out = []
    for peer in rule.get("to", rule.get("from", [])):
        if "ipBlock" in peer:
            out.append(peer["ipBlock"]["cidr"])
            continue
        ns = peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name", "*")
        pod = peer.get("podSelector", {}).get("matchLabels", {})
        out.append(f"{ns}/{pod.get('app.kubernetes.io/name') or pod.get('k8s-app') or '*'}")
    return out


def _ports(rule: dict[str, Any]) -> set[str | int]:
    return {p["port"] for p in rule.get("ports", [])}


def test_a_default_deny_covers_every_pod_of_the_namespace() -> None:
    deny = network_policies()["default-deny"]
    assert deny["spec"]["podSelector"] == {}
    assert set(deny["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny["spec"]
    assert "egress" not in deny["spec"]


def test_receiver_takes_webhooks_from_the_ingress_and_scrapes_from_prometheus_only() -> None:
    policy = network_policies()["receiver"]
    receiver = base_object("Deployment", "receiver")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= (
        receiver["spec"]["template"]["metadata"]["labels"].items()
    )
    allowed = {
        (peer, port) for rule in policy["spec"]["ingress"] for peer in _peers(rule) for port in _ports(rule)
    }
    assert allowed == {("ingress-nginx/ingress-nginx", "http"), ("monitoring/prometheus", "metrics")}
    egress = {peer for rule in policy["spec"]["egress"] for peer in _peers(rule)}
    assert egress == {"kube-system/kube-dns", "kafka/*"}, "no route out of the cluster"


def test_consumer_takes_scrapes_only_and_reaches_kafka_dns_and_https_outside_the_cluster() -> None:
    policy = network_policies()["consumer"]
    allowed = {
        (peer, port) for rule in policy["spec"]["ingress"] for peer in _peers(rule) for port in _ports(rule)
    }
    assert allowed == {("monitoring/prometheus", "metrics")}
    egress = {
        (peer, port) for rule in policy["spec"]["egress"] for peer in _peers(rule) for port in _ports(rule)
    }
    assert ("0.0.0.0/0", 443) in egress
    assert {peer for peer, _ in egress} == {"kube-system/kube-dns", "kafka/*", "0.0.0.0/0"}
    [outside] = [r for r in policy["spec"]["egress"] if "0.0.0.0/0" in _peers(r)]
    assert _ports(outside) == {443}
    assert "10.0.0.0/8" in outside["to"][0]["ipBlock"]["except"]


def test_reconcile_takes_scrapes_only_and_reaches_kafka_dns_and_the_shop_over_https() -> None:
    policy = network_policies()["reconcile"]
    reconcile = base_object("Deployment", "reconcile")
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= (
        reconcile["spec"]["template"]["metadata"]["labels"].items()
    )
    allowed = {
        (peer, port) for rule in policy["spec"]["ingress"] for peer in _peers(rule) for port in _ports(rule)
    }
    assert allowed == {("monitoring/prometheus", "metrics")}
    egress = {
        (peer, port) for rule in policy["spec"]["egress"] for peer in _peers(rule) for port in _ports(rule)
    }
    assert {peer for peer, _ in egress} == {"kube-system/kube-dns", "kafka/*", "0.0.0.0/0"}
    assert {port for peer, port in egress if peer == "0.0.0.0/0"} == {443}


def test_operator_command_jobs_can_reach_kafka_and_https_and_take_no_traffic() -> None:
    """consumer-command.sh's Jobs (operator-job.jq labels them `operator-command`): the default deny
    would otherwise cut them off from Kafka, NetSuite and the shop."""
    policy = network_policies()["operator-command"]
    job_labels = {
        "app.kubernetes.io/name": "woo-netsuite-sync",
        "app.kubernetes.io/component": "operator-command",
    }
    assert policy["spec"]["podSelector"]["matchLabels"] == job_labels
    assert "operator-command" in (K8S / "operator-job.jq").read_text(encoding="utf-8")
    assert "ingress" not in policy["spec"]
    assert "Ingress" in policy["spec"]["policyTypes"]
    egress = {peer for rule in policy["spec"]["egress"] for peer in _peers(rule)}
    assert egress == {"kube-system/kube-dns", "kafka/*", "0.0.0.0/0"}


def test_every_named_policy_port_is_a_container_port() -> None:
    for name, policy in network_policies().items():
        if name == "default-deny" or "ingress" not in policy["spec"]:
            continue
        deployment = base_object("Deployment", name)
        names = {p["name"] for p in container(deployment)["ports"]}
        for rule in policy["spec"]["ingress"]:
            assert _ports(rule) <= names, name


def test_each_container_mounts_only_the_secrets_it_uses() -> None:
    def secrets_of(kind: str, name: str) -> set[str]:
        ctr = container(base_object(kind, name))
        return {e["name"] for e in ctr.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}

    kafka = {"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "KAFKA_SSL_KEY_PASSWORD"}
    registry = {"SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO"}
    webhook = {"WOOCOMMERCE_WEBHOOK_SECRET", "WOOCOMMERCE_WEBHOOK_SECRET_PREVIOUS"}
    netsuite = {
        "NETSUITE_CONSUMER_KEY",
        "NETSUITE_CONSUMER_SECRET",
        "NETSUITE_TOKEN_ID",
        "NETSUITE_TOKEN_SECRET",
    }
    assert secrets_of("Deployment", "receiver") == webhook | kafka | registry
    assert secrets_of("Deployment", "consumer") == netsuite | kafka | registry  # no WooCommerce REST keys
    woo_rest = {"WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET"}
    assert secrets_of("Deployment", "reconcile") == woo_rest | kafka | registry  # no NetSuite tokens
    assert secrets_of("Job", "topics") == kafka


def test_the_example_overlay_talks_to_kafka_over_sasl_ssl() -> None:
    [patch] = load_yaml_docs(K8S / "overlays" / "example" / "configmap-patch.yaml")
    data = patch["data"]
    assert data["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert data["KAFKA_SASL_MECHANISM"].startswith("SCRAM-SHA-")
    mount = {
        m["name"]: m["mountPath"] for m in container(base_object("Deployment", "consumer"))["volumeMounts"]
    }["kafka-tls"]
    assert data["KAFKA_SSL_CA_LOCATION"].startswith(mount + "/")
    for obj in base_objects("Deployment") + base_objects("Job"):
        volumes = {v["name"]: v for v in pod_spec(obj)["volumes"]}
        assert volumes["kafka-tls"]["secret"]["optional"] is True, obj["metadata"]["name"]
