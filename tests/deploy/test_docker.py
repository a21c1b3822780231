"""docker/Dockerfile and docker/compose.yaml, checked without a Docker engine (there is none here)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from tests.deploy.rendering import ROOT, settings_env_names
from workers.amili.settings import AmiliSettings
from workers.cli import build_parser
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.settings import WorkerSettings

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
OUR_IMAGE = "amili-fleet:dev"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per Dockerfile instruction, continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "docker" / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    assert not pending, "dangling line continuation"
    return result


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def test_every_stage_builds_on_python_311_slim():
    bases = [args.split()[0] for keyword, args in instructions() if keyword == "FROM"]
    assert len(bases) >= 2, "multi-stage: build and runtime"
    assert set(bases) == {"python:3.11-slim"}
    assert PYPROJECT["project"]["requires-python"] == ">=3.11"


def test_runs_as_a_non_root_user():
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users, "the runtime stage sets USER"
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


def test_copies_what_pyproject_needs_and_installs_without_dev():
    copied = {
        PurePosixPath(src).parts[0]
        for keyword, args in instructions()
        if keyword == "COPY" and not args.startswith("--from")
        for src in args.split()[:-1]
    }
    packages = {pattern.rstrip("*") for pattern in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied
    assert {"pyproject.toml", PYPROJECT["project"]["readme"]} <= copied
    for package in packages:
        assert (ROOT / package / "__init__.py").is_file()
    installs = [args for keyword, args in instructions() if keyword == "RUN" and "pip install" in args]
    assert installs == ["pip install ."]


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
    assert not copied & ignored
    assert {".git", ".venv", "tests"} <= ignored


def our_services() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in COMPOSE["services"].items() if s.get("image") == OUR_IMAGE}


def test_compose_runs_kafka_the_sandbox_and_the_fleet():
    services = COMPOSE["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert set(our_services()) == {"sandbox", "fleet"}
    assert services["sandbox"]["build"]["dockerfile"] == "docker/Dockerfile"
    assert (ROOT / "docker" / services["sandbox"]["build"]["context"] / "docker" / "Dockerfile").is_file()


@pytest.mark.parametrize("service", ["sandbox", "fleet"])
def test_compose_commands_parse(service):
    command = COMPOSE["services"][service]["command"]
    args = build_parser(command[0]).parse_args(command)
    assert args.command == command[0]


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
    sandbox_args = build_parser("sandbox").parse_args(COMPOSE["services"]["sandbox"]["command"])
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
