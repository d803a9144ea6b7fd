"""Turn a CustomResourceDefinition into a JSON Schema file, for validating our custom resources offline.

`python -m devstack.crd_schema CRD.yaml... --out deploy/k8s/schemas` writes one
`<group>_<kind>_<version>.json` per served version. Kubernetes' built-in schemas (kubernetes-validate)
do not know KEDA's or the Prometheus Operator's kinds, so deploy/k8s/schemas/ vendors their published
CRDs' `openAPIV3Schema` (sources and versions in its README), converted like this:

* `description`s and `x-kubernetes-*` markers dropped (size; they do not validate anything);
* `additionalProperties: false` on every object that lists its `properties` and does not keep unknown
  fields, so a misspelt field fails — as `kubectl apply --validate=strict` does — instead of being
  pruned silently by the API server;
* `nullable: true` becomes a `"null"` type; `apiVersion` and `kind` must be the CRD's;
* a Go (RE2) pattern's inline flags after `^` move to the front, where Python's `re` wants them.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

import yaml

_LATE_FLAGS = re.compile(r"^\^(\(\?[a-zA-Z]+\))")


def python_pattern(pattern: str) -> str:
    """`^(?i)(abort|warn)?$` (RE2 accepts flags anywhere) as `(?i)^(abort|warn)?$`."""
    return _LATE_FLAGS.sub(lambda m: m.group(1) + "^", pattern)


def convert(node: Any) -> Any:
    """One schema node of an openAPIV3Schema, converted (recursively)."""
    if isinstance(node, list):
        return [convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "description" or key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}  # keys are field names
        elif key == "pattern" and isinstance(value, str):
            out[key] = python_pattern(value)
        else:
            out[key] = convert(value)
    if node.get("nullable") is True and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    keeps_unknown = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in node and "additionalProperties" not in node and not keeps_unknown:
        out["additionalProperties"] = False
    return out


def schemas(crd: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema, one per served version of the CRD."""
    group = crd["spec"]["group"]
    kind = crd["spec"]["names"]["kind"]
    out = {}
    for version in crd["spec"]["versions"]:
        if not version.get("served", True):
            continue
        schema = convert(version["schema"]["openAPIV3Schema"])
        properties = schema.setdefault("properties", {})
        properties["apiVersion"] = {"const": f"{group}/{version['name']}"}
        properties["kind"] = {"const": kind}
        properties["metadata"] = {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "minLength": 1}},
        }
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{group}_{kind.lower()}_{version['name']}.json"] = schema
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("crds", nargs="+", type=Path, help="CRD YAML files (as published by the project)")
    parser.add_argument("--out", type=Path, required=True, help="directory for the JSON Schema files")
    args = parser.parse_args(argv)
    for path in args.crds:
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                for name, schema in schemas(doc).items():
                    target = args.out / name
                    target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n", encoding="utf-8")
                    print(f"{target} ({target.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
