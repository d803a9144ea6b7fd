"""deploy/k8s against the code and the contract: ConfigMap and Secret names, probes, limits, shutdown
timings, the kustomize file lists and the Dockerfile."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

from common.kafka_settings import KafkaSettings
from consumer.netsuite.settings import NetSuiteSettings
from tests.unit.deploy_k8s import (
    BASE,
    CONTRACT_SECRETS,
    DEPLOY,
    K8S,
    allowed_env,
    base_object,
    base_objects,
    configmap,
    container,
    import_optional,
    k8s_objects,
    load_yaml_docs,
    pod_spec,
    secret_env,
)

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
    module = import_optional(module_name)
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
    runner = import_optional("consumer.runner")
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
