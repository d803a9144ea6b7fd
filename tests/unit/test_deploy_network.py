"""deploy/k8s's NetworkPolicies and secret mounts: default deny, who may talk to whom, each container
mounts only the secrets it uses."""

from __future__ import annotations

from typing import Any

from tests.unit.deploy_k8s import K8S, base_object, base_objects, container, load_yaml_docs, pod_spec

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
