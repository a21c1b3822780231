"""Validate rendered objects offline: built-in kinds against Kubernetes' own JSON schemas (kubernetes-validate,
strict: an unknown field fails), custom resources against the vendored CRD schemas in tests/deploy/crds.

A CRD schema is OpenAPI v3 as the API server reads it; it becomes JSON Schema here: `nullable` allows null,
`x-kubernetes-int-or-string` allows both, and an object with `properties` (and no
`x-kubernetes-preserve-unknown-fields`) refuses other fields. The API server would silently prune those, which
is exactly how a misspelt field would vanish in production.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

CRDS = Path(__file__).resolve().parent / "crds"
#: The chart's lowest supported Kubernetes (Chart.yaml kubeVersion) and the newest kubernetes-validate knows.
KUBERNETES_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())


def _json_schema(node: Any) -> Any:
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


@functools.cache
def crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    group, _, version = api_version.rpartition("/")
    path = CRDS / f"{group}_{kind}_{version}.json"
    if not path.exists():
        return None
    schema: dict[str, Any] = _json_schema(json.loads(path.read_text()))
    # The API server checks metadata itself; the CRD only says "object".
    return schema


@functools.cache
def _kubernetes_validator(version: str, api_version: str, kind: str) -> jsonschema.Draft202012Validator | None:
    """kubernetes-validate's strict schema for one kind, built once (its own validate() reloads it per call)."""
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    group = api_version.split("/")[0].split(".")[0] if "/" in api_version else ""
    name = f"{kind.lower()}-{group}-{api_version.split('/')[-1]}" if group else f"{kind.lower()}-{api_version}"
    try:
        schema = schema_contents(f"{folder}/{name}.json", version)
    except FileNotFoundError:
        return None
    registry: Registry = Resource.from_contents(schema) @ Registry()
    registry = Resource.from_contents(schema_contents(f"{folder}/_definitions.json", version)) @ registry
    return jsonschema.Draft202012Validator(schema, registry=registry)


def problems(doc: dict[str, Any]) -> list[str]:
    """Every schema violation of one rendered object (empty: valid), naming the object and the field."""
    name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
    schema = crd_schema(doc["apiVersion"], doc["kind"])
    if schema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [f"{name}: {'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    if "." in doc["apiVersion"].split("/")[0] and not doc["apiVersion"].split("/")[0].endswith(".k8s.io"):
        return [f"{name}: no vendored schema for {doc['apiVersion']} {doc['kind']} (add it to tests/deploy/crds)"]
    found = []
    for version in KUBERNETES_VERSIONS:
        validator = _kubernetes_validator(version, doc["apiVersion"], doc["kind"])
        if validator is None:
            found.append(f"{name}: Kubernetes {version} has no {doc['apiVersion']} {doc['kind']}")
            continue
        found.extend(
            f"{name} (Kubernetes {version}): {'.'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)
        )
    return found
