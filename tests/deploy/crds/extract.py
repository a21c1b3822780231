"""Extract the OpenAPI schema of each served version from a CustomResourceDefinition, for tests/deploy.

    python -m tests.deploy.crds.extract CRD.yaml [CRD.yaml ...]   # writes <group>_<kind>_<version>.json here

Descriptions are dropped (they are most of a CRD's size and no validation needs them). Where each file came
from is listed in README.md beside this file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def extract(path: Path) -> list[Path]:
    crd = yaml.safe_load(path.read_text())
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    written = []
    for version in crd["spec"]["versions"]:
        if not version.get("served"):
            continue
        target = HERE / f"{group}_{kind}_{version['name']}.json"
        schema = _strip(version["schema"]["openAPIV3Schema"])
        target.write_text(json.dumps(schema, indent=1, sort_keys=True) + "\n")
        written.append(target)
    return written


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        for written in extract(Path(argument)):
            print(written.name)
