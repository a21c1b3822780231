"""The fleet under test: one `amili-fleet run lookup_case_status` process, configured by environment
exactly as `workers/demo/stack.py` configures the demo's, with the concurrency knobs of the benchmark."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from workers.demo.stack import Stack
from workers.runtime.ports import free_port

USE_CASE = "lookup_case_status"


def start_worker(stack: Stack, concurrency: int, partition_buffer: int, timeout: float = 60.0) -> int:
    """Start one worker for the use case (registered in `stack.fleet`, so `stack.stop()` ends it); its pid."""
    port = free_port()
    env = stack.fleet_env(port, 0)
    env.update(
        # The in-flight cap and the connection pool are the same C the ceiling loop uses.
        WORKER_MAX_IN_FLIGHT=str(concurrency),
        AMILI_MAX_CONNECTIONS=str(concurrency),
        # Keep every pooled connection alive: with fewer, the pool would reconnect under load.
        AMILI_MAX_KEEPALIVE=str(concurrency),
        WORKER_PARTITION_BUFFER=str(partition_buffer),
    )
    with (stack.log_dir / "worker-0.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.cli", "run", USE_CASE],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    stack.fleet.append(process)
    stack.health_ports.append(port)
    deadline = time.monotonic() + timeout
    while not _ready(port):
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}; see {stack.log_dir}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker was not ready within {timeout:.0f}s; see {stack.log_dir}")
        time.sleep(0.2)
    return process.pid


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM) in MiB; read it before the process exits."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")
