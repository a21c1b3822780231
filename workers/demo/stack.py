"""Everything the demo runs on loopback: the broker, the Amili sandbox and the fleet, started and stopped
as one unit. The fleet is the real `amili-fleet run --all` in a subprocess, configured only through the
environment, exactly as it would be in a container."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx

from sandbox.process import SandboxServer
from sandbox.seed import DEMO_SEED, load_seed
from schemas.catalog import OUTCOMES_TOPIC, POLLERS, STREAMS
from workers.runtime.broker import LocalBroker
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.ports import free_port
from workers.runtime.topics import ensure_topics
from workers.runtime.watermarks import WATERMARK_TOPIC

#: Group timing for the local broker (it holds a JoinGroup for session_timeout / 2); never a production default.
DEMO_CONSUMER_OVERRIDES = {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000, "fetch_max_wait_ms": 50}
PARTITIONS = 6


@dataclass(frozen=True)
class DemoCredentials:
    account_api_code: str
    account_key: Path
    partner_api_code: str
    partner_key: Path
    account_id: str
    creditors: dict[str, str]  # creditor id -> account id


def demo_credentials() -> DemoCredentials:
    seed = load_seed(DEMO_SEED)
    account = seed.api_codes["demo-account-api-code"]
    partner = seed.api_codes["demo-partner-api-code"]
    assert account.account is not None
    assert account.private_key_file is not None
    assert partner.private_key_file is not None
    return DemoCredentials(
        account_api_code="demo-account-api-code",
        account_key=account.private_key_file,
        partner_api_code="demo-partner-api-code",
        partner_key=partner.private_key_file,
        account_id=account.account,
        creditors={c["_id"]: c["account"] for c in seed.creditors if c["account"] == account.account},
    )


def all_topics() -> dict[str, int]:
    topics = {topic: PARTITIONS for stream in STREAMS.values() for topic in stream.topics}
    topics.update({stream.dead_letter_topic: 1 for stream in STREAMS.values()})
    topics.update({p.topic: PARTITIONS for p in POLLERS.values()})
    topics[OUTCOMES_TOPIC] = PARTITIONS
    topics[WATERMARK_TOPIC] = 1
    return topics


@dataclass
class Stack:
    """Broker + sandbox + fleet processes; a context manager that leaves nothing running."""

    workers: int = 1
    poll_interval: float = 2.0
    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="amili-fleet-demo-")))
    broker: LocalBroker | None = None
    sandbox: SandboxServer | None = None
    fleet: list[subprocess.Popen[bytes]] = field(default_factory=list)
    health_ports: list[int] = field(default_factory=list)

    @property
    def kafka(self) -> KafkaSettings:
        assert self.broker is not None
        return KafkaSettings(bootstrap_servers=self.broker.bootstrap)

    def start_infrastructure(self) -> None:
        self.broker = LocalBroker(log_path=self.log_dir / "broker.log").start()
        self.sandbox = SandboxServer().start()
        ensure_topics(self.kafka, all_topics())

    def fleet_env(self, health_port: int, instance: int) -> dict[str, str]:
        assert self.broker is not None
        assert self.sandbox is not None
        creds = demo_credentials()
        env = dict(os.environ)
        env.update(
            KAFKA_BOOTSTRAP_SERVERS=self.broker.bootstrap,
            KAFKA_CLIENT_ID=f"amili-fleet-demo-{instance}",
            AMILI_BASE_URL=self.sandbox.base_url,
            AMILI_APP_URL=f"{self.sandbox.base_url}/app",
            AMILI_API_CODE=creds.account_api_code,
            AMILI_PRIVATE_KEY_FILE=str(creds.account_key),
            AMILI_PARTNER_API_CODE=creds.partner_api_code,
            AMILI_PARTNER_PRIVATE_KEY_FILE=str(creds.partner_key),
            WORKER_HEALTH_HOST="127.0.0.1",
            WORKER_HEALTH_PORT=str(health_port),
            WORKER_CONSUMER_OVERRIDES=json.dumps(DEMO_CONSUMER_OVERRIDES),
            WORKER_POLL_INTERVAL_SECONDS=str(self.poll_interval),
            # The demo shows the retry path without making anyone wait for production budgets.
            WORKER_RETRY_SECONDS="60",
            WORKER_RETRY_MAX_SECONDS="5",
            # A payment for an invoice that never comes waits this long for its case (default: minutes).
            WORKER_AWAIT_CASE_SECONDS="20",
        )
        return env

    def start_fleet(self, timeout: float = 60.0) -> None:
        for instance in range(self.workers):
            port = free_port()
            log = (self.log_dir / f"worker-{instance}.log").open("wb")
            process = subprocess.Popen(
                [sys.executable, "-m", "workers.cli", "run", "--all"],
                env=self.fleet_env(port, instance),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            log.close()
            self.fleet.append(process)
            self.health_ports.append(port)
        deadline = time.monotonic() + timeout
        for process, port in zip(self.fleet, self.health_ports, strict=True):
            while not self._ready(port):
                if process.poll() is not None:
                    raise RuntimeError(f"a fleet worker exited with {process.returncode}; see {self.log_dir}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"the fleet was not ready within {timeout:.0f}s; see {self.log_dir}")
                time.sleep(0.2)

    @staticmethod
    def _ready(port: int) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def metrics_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}/metrics" for port in self.health_ports]

    def metric(self, name: str, **labels: str) -> float:
        """The sum of a metric's samples (those carrying `labels`) over the running fleet workers."""
        from prometheus_client.parser import text_string_to_metric_families

        total = 0.0
        for url in self.metrics_urls():
            text = httpx.get(url, timeout=5.0).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name == name and labels.items() <= sample.labels.items():
                        total += sample.value
        return total

    def stop(self) -> None:
        self.stop_fleet()
        if self.sandbox is not None:
            self.sandbox.stop()
        if self.broker is not None:
            self.broker.stop()

    def stop_fleet(self) -> None:
        """SIGTERM every worker (they drain), then wait; a worker that does not exit in time is killed."""
        for process in self.fleet:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.fleet:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.fleet.clear()

    def __enter__(self) -> Stack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
