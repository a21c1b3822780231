"""`SandboxServer`: the sandbox in a subprocess on a loopback port, for integration tests and the demo.

Starts `python -m sandbox`, waits until `/_sandbox/clock` answers, and stops it (SIGTERM, then
SIGKILL) leaving no process behind. Output goes to a log file, not a pipe that could fill up.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from sandbox.reading import DEFAULT_TOKEN_TTL_SECONDS


class SandboxError(RuntimeError):
    """The sandbox process could not be started or did not answer."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port the OS had free a moment ago (another process may still take it before the sandbox binds)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
    return port


class SandboxServer:
    """A sandbox on loopback. Use as a context manager or start()/stop()."""

    def __init__(
        self,
        port: int = 0,
        seed: Path | str | None = None,
        *,
        token_ttl: float = DEFAULT_TOKEN_TTL_SECONDS,
        rng_seed: int = 0,
        host: str = "127.0.0.1",
        log_path: Path | None = None,
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.seed = seed
        self.token_ttl = token_ttl
        self.rng_seed = rng_seed
        self.log_path = log_path or Path(tempfile.gettempdir()) / f"amili-sandbox-{os.getpid()}-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "sandbox", "--host", self.host, "--port", str(self.port)]
        cmd += ["--token-ttl", str(self.token_ttl), "--rng-seed", str(self.rng_seed)]
        if self.seed:
            cmd += ["--seed", str(self.seed)]
        return cmd

    def start(self, timeout: float = 20.0) -> SandboxServer:
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise SandboxError(f"sandbox exited with {self._process.returncode}; log: {self.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base_url}/_sandbox/clock", timeout=0.5).status_code == 200:
                    return self
            time.sleep(0.05)
        self.stop()
        raise SandboxError(f"sandbox did not answer on {self.base_url} within {timeout}s; log: {self.log_path}")

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
