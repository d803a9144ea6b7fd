"""deploy/'s files as the deploy tests read them: paths, YAML, Kubernetes objects, and the contract's
environment (which names a ConfigMap or a Secret may hold)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

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


def import_optional(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None  # the module (or its package) is not written yet
        raise


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
        module = import_optional(name)
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
