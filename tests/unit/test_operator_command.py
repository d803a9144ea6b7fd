"""deploy/k8s/consumer-command.sh runs an operator command as a one-off Job built from the consumer's pod
template (deploy/k8s/operator-job.jq), waits, prints the output and returns the command's exit status.

No cluster here: a stand-in `kubectl` on PATH serves the consumer Deployment as kustomize renders it,
keeps the Job the script creates, reports it finished and answers its logs and exit code. The Job is
then validated like every rendered object (test_k8s_rendered.py) and compared with the Deployment.
Needs jq (Debian's jq; `.ci/run` installs it when missing).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.tools import require
from tests.unit.test_k8s_rendered import K8S, one, overlay, problems

SCRIPT = K8S / "consumer-command.sh"
FAKE_KUBECTL = """
import json, os, sys
from pathlib import Path

args = sys.argv[1:]
assert args[:2] == ["-n", os.environ["FAKE_NS"]], args
args = args[2:]
state = Path(os.environ["FAKE_STATE"])
if args[:2] == ["get", "deployment/woo-netsuite-sync-consumer"]:
    print(os.environ["FAKE_DEPLOYMENT"])
elif args[:3] == ["create", "-f", "-"]:
    (state / "job.json").write_text(sys.stdin.read())
elif args[:2] == ["get", "pods"]:
    job = json.loads((state / "job.json").read_text())["metadata"]["name"]
    assert args[2:4] == ["-l", "job-name=" + job], args
    code = os.environ["FAKE_EXIT"]
    if args[-1].endswith("status.phase}"):
        print("Succeeded" if code == "0" else "Failed", end="")
    else:
        assert args[-1].endswith("state.terminated.exitCode}"), args
        print(code, end="")
elif args[0] == "logs":
    job = json.loads((state / "job.json").read_text())["metadata"]["name"]
    assert args[1] == "job/" + job, args
    print("offsets moved (fake)")
else:
    sys.exit("unexpected: " + " ".join(args))
"""


def run(tmp_path: Path, exit_code: int, *args: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    jq = require("jq")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / "kubectl").write_text(f"#!{sys.executable}{FAKE_KUBECTL}")
    (bin_dir / "kubectl").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{Path(jq).parent}{os.pathsep}{os.environ['PATH']}",
        "FAKE_NS": "shop",
        "FAKE_STATE": str(tmp_path),
        "FAKE_EXIT": str(exit_code),
        "FAKE_DEPLOYMENT": json.dumps(one(overlay("example"), "Deployment", "consumer")),
    }
    result = subprocess.run(
        ["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    created = tmp_path / "job.json"
    return result, json.loads(created.read_text()) if created.exists() else None


def test_the_command_runs_as_a_valid_job_from_the_consumers_pod_template(tmp_path: Path) -> None:
    result, job = run(tmp_path, 3, "shop", "replay", "--to", "2025-06-01T09:30:00Z", "--dry-run")
    assert result.returncode == 3, result.stderr  # the command's own exit status (3: refused)
    assert result.stdout == "offsets moved (fake)\n"
    assert re.fullmatch(r"woo-netsuite-sync-replay-\d{14}", job["metadata"]["name"])
    assert problems(job) == []

    deployment = one(overlay("example"), "Deployment", "consumer")
    pod, template = job["spec"]["template"]["spec"], deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    original = template["containers"][0]
    assert container["args"] == ["consumer", "replay", "--to", "2025-06-01T09:30:00Z", "--dry-run"]
    for key in ("image", "env", "envFrom", "securityContext", "volumeMounts", "resources"):
        assert container[key] == original[key], key
    assert not {"ports", "readinessProbe", "livenessProbe", "startupProbe"} & set(container)
    for key in ("securityContext", "volumes", "automountServiceAccountToken"):
        assert pod[key] == template[key], key
    assert pod["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 0
    assert job["spec"]["ttlSecondsAfterFinished"] > 0

    labels = job["spec"]["template"]["metadata"]["labels"].items()
    selectors = [deployment["spec"]["selector"]["matchLabels"]]
    selectors += [
        p["spec"]["selector"]["matchLabels"] for p in overlay("example") if p["kind"] == "PodDisruptionBudget"
    ]
    selectors += [
        p["spec"]["selector"]["matchLabels"]
        for p in overlay("prometheus-operator")
        if p["kind"] == "PodMonitor"
    ]
    assert not any(s.items() <= labels for s in selectors), "not counted as a consumer, nor scraped"


def test_audit_reconcile_and_check_also_get_the_woocommerce_key_and_nothing_else_changes(
    tmp_path: Path,
) -> None:
    original = one(overlay("example"), "Deployment", "consumer")["spec"]["template"]["spec"]["containers"][0]
    woo = [
        {"name": n, "valueFrom": {"secretKeyRef": {"name": "woo-netsuite-sync-secrets", "key": n}}}
        for n in ("WOOCOMMERCE_CONSUMER_KEY", "WOOCOMMERCE_CONSUMER_SECRET")
    ]
    for command, *args in (("audit", "--since", "2025-06-01T09:30:00Z"), ("reconcile", "--once"), ("check",)):
        (tmp_path / command).mkdir()
        result, job = run(tmp_path / command, 1, "shop", command, *args)
        assert result.returncode == 1, result.stderr  # audit's "found problems", passed on
        (container,) = job["spec"]["template"]["spec"]["containers"]
        assert container["env"] == original["env"] + woo
        assert container["envFrom"] == original["envFrom"]
        assert problems(job) == []


def test_a_successful_command_exits_0_and_a_missing_command_is_a_usage_error(tmp_path: Path) -> None:
    result, job = run(tmp_path, 0, "shop", "redrive", "--list", "--json")
    assert result.returncode == 0, result.stderr
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "consumer",
        "redrive",
        "--list",
        "--json",
    ]
    (tmp_path / "usage").mkdir()
    usage, nothing = run(tmp_path / "usage", 0, "shop")
    assert usage.returncode == 2
    assert nothing is None, "no Job without a command"
    assert "usage:" in usage.stderr


def test_the_script_is_executable() -> None:
    assert os.access(SCRIPT, os.X_OK)
