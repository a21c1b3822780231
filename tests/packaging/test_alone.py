"""The contracts install and work alone; the fleet runs with its production dependencies only.

Each test fills a fresh venv from the lock (exactly the declared closure, hash-checked) and this tree's
wheels, then runs Python there isolated (`-I`, outside the repository), so nothing of the dev venv or
the source tree can help. About 3 s with a warm uv cache (the first run downloads ~15 MB from PyPI).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from packaging.utils import canonicalize_name

from schemas.catalog import POLLERS, STREAMS, USE_CASES
from tests.fixtures.broker import FAST_GROUP_SETTINGS
from tests.packaging.distributions import SANDBOX_ONLY, closure, declared
from workers.runtime.ports import free_port

#: Run inside the schemas-only venv: validate every shipped example as a producer would, then report.
VALIDATE_EXAMPLES = r"""
import importlib.util, json, sys, sysconfig
from importlib import metadata, resources

import schemas
from schemas.catalog import EVENT_TYPES, INBOUND_BY_TYPE
from schemas.codec import decode_event
from schemas.samples import example_event, example_record

checked = []
for path in sorted(resources.files("schemas").joinpath("examples").iterdir()):
    event_type = path.name.removesuffix(".json")
    event = example_event(event_type)  # the CloudEvents envelope
    EVENT_TYPES[event_type].model_validate(event.data)  # the typed data
    if event_type in INBOUND_BY_TYPE:
        decode_event(*example_record(event_type))  # key, value and headers, exactly as the fleet reads them
    checked.append(event_type)
site = (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])
print(json.dumps({
    "checked": checked,
    "loaded": sorted({n.split(".")[0] for n, m in list(sys.modules.items())
                      if (getattr(m, "__file__", None) or "").startswith(site)}),  # from site-packages
    "importable": sorted(n for n in ("kafka", "httpx", "fastapi", "starlette", "uvicorn", "workers", "sandbox")
                         if importlib.util.find_spec(n) is not None),
    "distributions": sorted(d.metadata["Name"] for d in metadata.distributions()),
    "schemas_from": schemas.__file__,
}))
"""

#: What the contracts may load: themselves, pydantic (with its helpers) and orjson.
CONTRACT_MODULES = {"schemas", "pydantic", "pydantic_core", "annotated_types", "typing_extensions", "typing_inspection"}
CONTRACT_MODULES |= {"orjson"}


def _run(python: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=python.parents[2],  # the venv's parent: not the repository
        env=env or {"PATH": os.environ["PATH"]},
        check=False,
    )


def test_the_schemas_distribution_installs_alone_and_validates_the_examples(wheels, fresh_venv):
    packages = closure(declared("amili-fleet-schemas"))
    python = fresh_venv("schemas-alone", packages, [wheels["amili-fleet-schemas"]])

    result = _run(python, "-I", "-c", VALIDATE_EXAMPLES)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)

    examples = sorted(p.stem for p in (Path(__file__).parents[2] / "schemas" / "examples").glob("*.json"))
    assert report["checked"] == examples
    assert len(examples) == len(USE_CASES) + len(POLLERS) + 3  # every inbound event, fact and outcome
    assert {"schemas", "pydantic", "orjson"} <= set(report["loaded"])
    assert set(report["loaded"]) <= CONTRACT_MODULES, "no Kafka, HTTP or web package may be imported"
    assert report["importable"] == [], "the venv holds no Kafka client, HTTP client, fleet or sandbox at all"
    assert {canonicalize_name(d) for d in report["distributions"]} == {"amili-fleet-schemas", *packages}
    assert report["schemas_from"].startswith(str(python.parents[1])), "schemas came from the wheel, not the tree"


@pytest.mark.integration
def test_the_fleet_runs_without_the_sandbox_or_a_web_framework(wheels, fresh_venv, bootstrap, sandbox):
    packages = closure(declared("amili-fleet"))
    assert not set(packages) & SANDBOX_ONLY
    python = fresh_venv("fleet-alone", packages, [wheels["amili-fleet-schemas"], wheels["amili-fleet"]])
    fleet = python.with_name("amili-fleet")

    # Every use case and poller module imports in a production install.
    listed = _run(fleet, "run", "--list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert {line.split("\t")[0] for line in lines if not line.startswith("\t")} == set(STREAMS) | set(POLLERS)
    # each stream's lines below it: "\t  <event type> -> <use case>"
    assert {line.rsplit(" -> ", 1)[1] for line in lines if line.startswith("\t")} == set(USE_CASES)

    # The simulator and the demo say what to install, in one line.
    for command, extra in (("sandbox", "amili-fleet[sandbox]"), ("demo", "amili-fleet[demo]")):
        refused = _run(fleet, command)
        assert refused.returncode == 2
        assert refused.stderr.count("\n") == 1
        assert f"pip install '{extra}'" in refused.stderr

    # And `amili-fleet run` works: against the real broker and the sandbox, healthy, then a clean drain.
    port = free_port()
    creds = sandbox.credentials
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "WORKER_CONSUMER_OVERRIDES": json.dumps(FAST_GROUP_SETTINGS),
        "WORKER_HEALTH_HOST": "127.0.0.1",
        "WORKER_HEALTH_PORT": str(port),
        "WORKER_DRAIN_SECONDS": "5",
        "AMILI_BASE_URL": sandbox.base_url,
        "AMILI_API_CODE": creds.account_api_code,
        "AMILI_PRIVATE_KEY_FILE": str(creds.account_key_path),
    }
    process = subprocess.Popen(
        [str(fleet), "run", "register_invoice"],
        env=env,
        cwd=python.parents[2],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        healthy = False
        while not healthy and time.monotonic() < deadline and process.poll() is None:
            try:
                healthy = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                time.sleep(0.2)
        metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text if healthy else ""
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert healthy, stderr.decode()[-2000:]
    assert "amili_fleet_events_received_total" in metrics
    assert process.returncode == 0, stderr.decode()[-2000:]
