"""The three distributions of this repository, their declared requirements, and the lock files.

`declared(name, extras)` reads a distribution's requirements from its pyproject.toml (the source of
truth, not installed metadata); `closure()` follows them through the installed metadata of the dev
venv (which `make setup` fills from requirements/dev.txt) down to every third-party package they pull in;
`read_lock()` parses a lock file written by `make lock`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements"


@dataclass(frozen=True)
class Distribution:
    name: str
    project_dir: Path
    package: str  # the one import package its wheel holds

    @property
    def pyproject(self) -> dict[str, Any]:
        return tomllib.loads((self.project_dir / "pyproject.toml").read_text())

    @property
    def version(self) -> str:
        return str(self.pyproject["project"]["version"])


FLEET = Distribution("amili-fleet", ROOT, "workers")
SCHEMAS = Distribution("amili-fleet-schemas", ROOT / "distributions" / "amili-fleet-schemas", "schemas")
SANDBOX = Distribution("amili-fleet-sandbox", ROOT / "distributions" / "amili-fleet-sandbox", "sandbox")
DISTRIBUTIONS = {d.name: d for d in (FLEET, SCHEMAS, SANDBOX)}
LOCAL: frozenset[NormalizedName] = frozenset(canonicalize_name(n) for n in DISTRIBUTIONS)

#: The web framework and the simulator: never in the fleet's production dependencies.
SANDBOX_ONLY = frozenset(
    canonicalize_name(n)
    for n in ("fastapi", "starlette", "uvicorn", "httptools", "uvloop", "python-multipart", "amili-fleet-sandbox")
)


def declared(name: str, extras: Iterable[str] = ()) -> list[Requirement]:
    """The requirements pyproject.toml declares for `name`, plus those of the named extras."""
    project = DISTRIBUTIONS[name].pyproject["project"]
    lines = list(project.get("dependencies", []))
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({"extra": extra}) for extra in (*extras, ""))


def closure(roots: Iterable[Requirement]) -> dict[NormalizedName, list[Requirement]]:
    """Every third-party package the roots need on this platform, with each requirement that names it.

    Local distributions are expanded from their pyproject.toml (with the extras asked for); third-party
    ones from the installed metadata of the dev venv.
    """
    found: dict[NormalizedName, list[Requirement]] = {}
    expanded: set[tuple[NormalizedName, frozenset[str]]] = set()
    queue = [r for r in roots if _applies(r, ())]
    while queue:
        requirement = queue.pop()
        name = canonicalize_name(requirement.name)
        if name not in LOCAL:
            found.setdefault(name, []).append(requirement)
        key = (name, frozenset(requirement.extras))
        if key in expanded:
            continue
        expanded.add(key)
        if name in LOCAL:
            local = next(d for d in DISTRIBUTIONS if canonicalize_name(d) == name)
            queue += declared(local, requirement.extras)
            continue
        for line in metadata.distribution(name).requires or []:
            child = Requirement(line)
            if _applies(child, requirement.extras):
                queue.append(child)
    return found


@dataclass(frozen=True)
class Pin:
    name: NormalizedName
    version: Version
    marker: Marker | None
    text: str  # the lock's lines for this package, hashes included


def read_lock(path: Path) -> dict[NormalizedName, Pin]:
    """Pins of a `uv pip compile --generate-hashes` file: `name==version [; marker] --hash=...`."""
    pins: dict[NormalizedName, Pin] = {}
    logical = ""
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        logical += " " + line.removesuffix("\\").strip()
        if line.endswith("\\"):
            continue
        spec, *hashes = logical.strip().split(" --hash=")
        requirement = Requirement(spec)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {spec} is not pinned"
        assert hashes, f"{path.name}: {spec} has no hash"
        name = canonicalize_name(requirement.name)
        body = " \\\n".join([spec, *(f"    --hash={h}" for h in hashes)])
        pins[name] = Pin(name, Version(specifier.version), requirement.marker, body + "\n")
        logical = ""
    assert not logical, f"{path.name}: dangling line continuation"
    return pins


def lock_subset(lock: dict[NormalizedName, Pin], names: Iterable[NormalizedName]) -> str:
    """A hash-checked requirements file holding only `names` from the lock."""
    return "".join(lock[name].text for name in sorted(names))
