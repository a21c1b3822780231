"""The lock files (requirements/*.txt, written by `make lock`) cover what the pyproject files declare.

`make setup` and docker/Dockerfile install third-party packages only from these files, hash-checked, and
the local distributions without dependencies: so a declared requirement the lock does not satisfy would
break a fresh install or the image. These tests fail first, and say `make lock`.
"""

from __future__ import annotations

import tomllib
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.distributions import (
    DISTRIBUTIONS,
    LOCAL,
    REQUIREMENTS,
    SANDBOX_ONLY,
    closure,
    declared,
    read_lock,
)

#: lock file -> what it must satisfy (who installs it)
LOCKS = {
    "runtime.txt": declared("amili-fleet"),  # docker/Dockerfile, the production image
    "sandbox.txt": declared("amili-fleet-sandbox"),  # docker/Dockerfile, the sandbox image
    "dev.txt": declared("amili-fleet", ["dev"]),  # make setup (dev brings demo, sandbox and schemas)
    "build.txt": [  # docker/Dockerfile builds the wheels with it, without build isolation
        Requirement(r) for d in DISTRIBUTIONS.values() for r in d.pyproject["build-system"]["requires"]
    ],
}


@pytest.mark.parametrize("lock_name", sorted(LOCKS))
def test_the_lock_pins_every_package_the_declarations_need_in_a_version_they_accept(lock_name):
    lock = read_lock(REQUIREMENTS / lock_name)
    needed = closure(LOCKS[lock_name])

    missing = sorted(set(needed) - set(lock))
    refused = {}
    for name, requirements in needed.items():
        if name in lock:
            version = lock[name].version
            unmet = sorted({str(r) for r in requirements if not r.specifier.contains(version, prereleases=True)})
            if unmet:
                refused[name] = (str(version), unmet)
    assert not missing, f"{lock_name} lacks {missing}: run `make lock`"
    assert not refused, f"{lock_name} pins versions the declarations refuse {refused}: run `make lock`"
    assert not set(lock) & LOCAL, "the local distributions are installed from the tree, never from the lock"


def test_the_dev_venv_runs_the_versions_the_dev_lock_pins():
    # closure() reads dependency metadata from this venv: it is only right for the pinned versions.
    lock = read_lock(REQUIREMENTS / "dev.txt")
    stale = {
        name: (metadata.version(name), str(pin.version))
        for name, pin in lock.items()
        if (pin.marker is None or pin.marker.evaluate()) and metadata.version(name) != str(pin.version)
    }
    assert not stale, f"installed != locked {stale}: run `make setup`"


def test_a_package_has_one_version_in_every_lock():
    versions: dict[str, set[str]] = {}
    for lock_name in LOCKS:
        for name, pin in read_lock(REQUIREMENTS / lock_name).items():
            versions.setdefault(name, set()).add(str(pin.version))
    assert {name: v for name, v in versions.items() if len(v) > 1} == {}


def test_the_runtime_lock_holds_no_web_framework_and_no_simulator():
    runtime = set(read_lock(REQUIREMENTS / "runtime.txt"))
    assert not runtime & SANDBOX_ONLY
    # and it is not that the lock forgot them: the sandbox's own lock has them
    assert {canonicalize_name(n) for n in ("fastapi", "uvicorn")} <= set(read_lock(REQUIREMENTS / "sandbox.txt"))


def test_the_fleet_declares_no_web_framework_outside_its_extras():
    production = {canonicalize_name(r.name) for r in declared("amili-fleet")}
    assert not production & SANDBOX_ONLY
    assert {canonicalize_name(r.name) for r in declared("amili-fleet-schemas")} == {"pydantic", "orjson"}


def test_the_three_distributions_move_together():
    # Built from one tree and released together: the fleet pins its siblings to its own version.
    versions = {d.name: d.version for d in DISTRIBUTIONS.values()}
    assert len(set(versions.values())) == 1, versions
    pins = [r for r in declared("amili-fleet", ["sandbox"]) if canonicalize_name(r.name) in LOCAL]
    assert {canonicalize_name(r.name) for r in pins} == {"amili-fleet-schemas", "amili-fleet-sandbox"}
    assert all(str(r.specifier) == f"=={versions['amili-fleet']}" for r in pins)


def test_make_setup_reinstalls_when_a_declaration_or_the_dev_lock_changes():
    makefile = (REQUIREMENTS.parent / "Makefile").read_text()
    stamp_rule = next(line for line in makefile.splitlines() if line.startswith("$(STAMP):"))
    projects = next(line for line in makefile.splitlines() if line.startswith("PROJECTS"))
    assert "$(PROJECTS)" in stamp_rule
    assert "requirements/dev.txt" in stamp_rule
    for distribution in DISTRIBUTIONS.values():
        pyproject = (distribution.project_dir / "pyproject.toml").relative_to(REQUIREMENTS.parent)
        assert str(pyproject) in projects
        assert tomllib.loads((REQUIREMENTS.parent / pyproject).read_text())["project"]["name"] == distribution.name
