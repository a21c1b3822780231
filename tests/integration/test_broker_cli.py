"""`amili-fleet broker`: starts fast, serves Kafka, and leaves no process behind on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from workers.runtime.broker import kafka_answers
from workers.runtime.ports import free_port

pytestmark = pytest.mark.integration


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def test_broker_command_starts_serves_and_stops_cleanly_on_sigterm():
    port = free_port()
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.cli", "broker", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        ready_after = time.monotonic() - started
        assert f"KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:{port}" in line
        assert ready_after < 10, f"broker took {ready_after:.1f}s to become ready"
        assert kafka_answers(f"127.0.0.1:{port}")
        tansu = _children_of(proc.pid)
        assert len(tansu) == 1

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        assert "broker stopped" in proc.stdout.read()
        # The broker process is gone too (not merely orphaned).
        time.sleep(0.1)
        with pytest.raises(ProcessLookupError):
            os.kill(tansu[0], 0)
        with (
            pytest.raises(ConnectionRefusedError),
            socket.create_connection(("127.0.0.1", port), timeout=0.5),
        ):
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
