"""`SandboxServer` and the `amili-fleet sandbox` command: start, answer, stop, leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from sandbox.process import SandboxError, SandboxServer
from workers.cli import main

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not alive
        return stat.read().split()[2] != "Z"


def test_server_starts_answers_and_stops_without_leftovers():
    server = SandboxServer(token_ttl=60, rng_seed=3).start()
    pid = server._process.pid if server._process else -1
    try:
        assert server.running
        assert httpx.get(f"{server.base_url}/openapi.json").json()["info"]["title"] == "Amili sandbox"
    finally:
        server.stop()
    assert server._process is None
    assert not _alive(pid)


def test_a_bad_seed_fails_fast_with_the_log_named(tmp_path):
    bad = tmp_path / "seed.json"
    bad.write_text('{"creditors": [{"_id": "x", "account": "missing"}]}')
    with pytest.raises(SandboxError, match="log"):
        SandboxServer(seed=bad).start(timeout=15)


def test_the_cli_lists_the_sandbox_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["sandbox", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "--seed" in out
    assert "--port" in out
    result = subprocess.run([sys.executable, "-m", "sandbox", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "--token-ttl" in result.stdout
