"""Wrap deploy/prometheus/rules.yaml in a PrometheusRule for the Prometheus Operator, so the two never drift.

`python -m devstack.prometheus_rule` prints it, `--write` writes it into the prometheus-operator
component (deploy/k8s/components/prometheus-operator/prometheusrule.yaml); a test checks the file is
exactly what this prints. The `groups:` list is copied as text, comments and layout included.
"""

from __future__ import annotations

import argparse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "deploy" / "prometheus" / "rules.yaml"
TARGET = ROOT / "deploy" / "k8s" / "components" / "prometheus-operator" / "prometheusrule.yaml"

HEADER = """\
# GENERATED from deploy/prometheus/rules.yaml by `python -m devstack.prometheus_rule --write`: edit the
# rules there, then regenerate (tests/unit/test_k8s_rendered.py fails while the two differ).
# The `release` label must match your Prometheus' ruleSelector (kube-prometheus-stack: the Helm release).
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: woo-netsuite-sync
  labels:
    app.kubernetes.io/name: woo-netsuite-sync
    release: prometheus
spec:
"""


def render(rules_text: str) -> str:
    lines = rules_text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("groups:"))
    body = ["  " + line if line.strip() else "" for line in lines[start:]]
    return HEADER + "\n".join(body) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {TARGET.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    text = render(RULES.read_text(encoding="utf-8"))
    if args.write:
        TARGET.write_text(text, encoding="utf-8")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
