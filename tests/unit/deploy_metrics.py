"""deploy/'s metrics as the deploy tests read them: every metric the code registers (name, type,
labels), PromQL scanning, the alert rules and the dashboard."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.metrics import MetricWrapperBase

import consumer.member  # every consumer module: some register their own metrics (refund detail)
import consumer.metrics  # registers the consumer's metrics in the default registry
from receiver import metrics as receiver_metrics
from tests.unit.deploy_k8s import DASHBOARD, RULES, import_optional, load_yaml_docs

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
# The outcome label values, as the code defines them (a copy here had already missed "booked").
RECEIVER_OUTCOMES = frozenset(receiver_metrics.OUTCOMES)
CONSUMER_OUTCOMES = frozenset(consumer.metrics.OUTCOME_NAMES)
OUTCOME_VALUES = {
    "woo_receiver_requests_total": RECEIVER_OUTCOMES,
    "woo_consumer_outcomes_total": CONSUMER_OUTCOMES,
}
# Labels Prometheus' scrape config attaches (target labels), valid on every series.
TARGET_LABELS = frozenset({"namespace", "instance", "job", "pod", "container", "le"})
SAMPLE_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


# ===================================================================================================
# helpers


def _collectors() -> list[MetricWrapperBase]:
    """Metric objects of the modules that define ours (their label names are not in the registry)."""
    objects: list[Any] = list(vars(consumer.metrics).values())
    for name in OPTIONAL_METRIC_MODULES:
        module = import_optional(name)
        if module is not None:
            objects += vars(module).values()
    return [o for o in objects if isinstance(o, MetricWrapperBase)]


def _receiver_registry() -> tuple[CollectorRegistry | None, list[MetricWrapperBase]]:
    module = import_optional("receiver.metrics")
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


# --- PromQL scanning -------------------------------------------------------------------------------
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_IDENT = re.compile(r"(?<![\w:$])([a-zA-Z_:][a-zA-Z0-9_:]*)")
_SELECTOR = re.compile(r"\b(woo_[a-zA-Z0-9_]+)\s*\{([^}]*)\}")
_MATCHER = re.compile(r'([a-zA-Z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
LEGEND = re.compile(r"\{\{\s*([a-zA-Z_]\w*)\s*\}\}")


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
