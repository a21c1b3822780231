"""The worker's own settings (`WORKER_*`): groups, streams, caps, budgets, retries, breaker, health port.

Loaded once by `amili-fleet run` and passed down; nothing here reads the environment at import time.
Kafka connection settings live in `kafka_settings.py` (`KAFKA_*`), Amili's in `workers.amili` (`AMILI_*`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

AssignmentStrategy = Literal["range", "roundrobin", "cooperative-sticky"]
LogFormat = Literal["json", "text"]
#: A Kafka topic name (Kafka's own rule).
Topic = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")]


class StreamSetting(BaseModel):
    """One entry of WORKER_STREAMS: the fields of a stream to change (or all of a new stream's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    topics: list[Topic] | None = Field(default=None, min_length=1, description="topics consumed, named in full")
    types: dict[str, str] | None = Field(default=None, min_length=1, description="event type -> use case")
    group: str | None = Field(default=None, min_length=1, description="consumer group (default prefix + name)")
    dead_letter_topic: Topic | None = Field(default=None, description="default: first topic + .dlq")


class WorkerSettings(BaseSettings):
    """How one worker process consumes, retries, drains and reports; every field has a `WORKER_` variable."""

    model_config = SettingsConfigDict(env_prefix="WORKER_", extra="ignore")

    # --- consumer group ---------------------------------------------------------------------------
    group_prefix: str = Field(
        default="amili-fleet.",
        description="consumer group of a stream = prefix + stream name (a use case's own stream is named after it)",
    )
    group_instance_id: str | None = Field(
        default=None,
        description="static membership id (a StatefulSet pod name); suffixed with the stream per consumer",
    )
    assignment_strategy: AssignmentStrategy = Field(
        default="cooperative-sticky", description="partition assignment: range, roundrobin or cooperative-sticky"
    )
    consumer_overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="extra KafkaConsumer kwargs as JSON (tuning, and the tests' fast group settings)",
    )
    producer_overrides: dict[str, Any] = Field(default_factory=dict, description="extra KafkaProducer kwargs")

    # --- streams: which topics are consumed, which event type goes to which use case ------------------
    topic_prefix: str = Field(
        default="",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="prefix of every default stream topic and dead-letter topic (not of outcomes)",
    )
    streams: dict[str, StreamSetting | None] = Field(
        default_factory=dict,
        description="JSON: stream name -> fields to change, a new stream, or null to drop a default stream",
    )

    # --- flow control -----------------------------------------------------------------------------
    max_in_flight: int = Field(
        default=100,
        ge=1,
        description="records being handled at once, all use cases; keep it at or below AMILI_MAX_CONNECTIONS",
    )
    partition_buffer: int = Field(
        default=500,
        ge=2,
        description="records fetched but not committed per partition; the partition pauses at this cap "
        "and resumes at half. It is also the reconcile window after an assignment.",
    )
    poll_timeout_ms: int = Field(default=100, ge=1)
    commit_interval_seconds: float = Field(default=1.0, gt=0)
    max_record_bytes: int = Field(default=1_048_576, ge=1, description="larger values are poison")
    dedup_cache_size: int = Field(default=10_000, ge=0, description="recently finished event ids remembered")

    # --- retries (defaults for use cases that do not set their own) ---------------------------------
    max_attempts: int = Field(default=8, ge=1)
    retry_seconds: float = Field(default=900.0, gt=0, description="time budget of one record's retries")
    retry_initial_seconds: float = Field(default=0.5, gt=0)
    retry_max_seconds: float = Field(default=60.0, gt=0)
    await_case_seconds: float = Field(
        default=300.0,
        ge=0,
        description="how long a follow-up whose case Amili does not hold yet keeps looking before it is rejected",
    )

    # --- circuit breaker ----------------------------------------------------------------------------
    breaker_window: int = Field(default=20, ge=1, description="last Amili calls the failure ratio is taken over")
    breaker_min_calls: int = Field(default=10, ge=1)
    breaker_failure_ratio: float = Field(default=0.5, gt=0, le=1)
    breaker_open_seconds: float = Field(default=5.0, gt=0, description="first pause; doubles while probes fail")
    breaker_max_open_seconds: float = Field(default=60.0, gt=0)

    # --- shutdown and rebalance ---------------------------------------------------------------------
    drain_seconds: float = Field(
        default=20.0, gt=0, description="SIGTERM drain budget; keep below terminationGracePeriodSeconds"
    )
    broker_outage_seconds: float = Field(
        default=300.0, gt=0, description="exit (for a restart) when the broker stays unreachable this long"
    )
    revoke_seconds: float = Field(default=10.0, ge=0, description="drain budget of revoked partitions")

    # --- observability ------------------------------------------------------------------------------
    health_host: str = "0.0.0.0"  # noqa: S104 - the probe port must be reachable by the kubelet
    health_port: int = Field(default=8080, ge=0, le=65535, description="0 disables the health server")
    log_level: str = "INFO"
    log_format: LogFormat = "json"
    poll_stale_seconds: float = Field(default=30.0, gt=0, description="/healthz fails when poll() is older")

    # --- pollers -------------------------------------------------------------------------------------
    poll_interval_seconds: float | None = Field(
        default=None, gt=0, description="run every poller this often instead of its declared schedule"
    )

    # --- discovery ----------------------------------------------------------------------------------
    use_case_modules: list[str] = Field(
        default_factory=list, description="modules to import besides workers.use_cases (JSON list)"
    )
    redrive_topics: list[str] = Field(
        default_factory=list, description="topics `dlq redrive --to` may write to besides the originals"
    )

    @model_validator(mode="after")
    def _budgets_make_sense(self) -> WorkerSettings:
        if self.retry_initial_seconds > self.retry_max_seconds:
            raise ValueError("retry_initial_seconds must not exceed retry_max_seconds")
        if self.breaker_min_calls > self.breaker_window:
            raise ValueError("breaker_min_calls must not exceed breaker_window")
        if self.breaker_open_seconds > self.breaker_max_open_seconds:
            raise ValueError("breaker_open_seconds must not exceed breaker_max_open_seconds")
        return self

    def group_id(self, stream: str) -> str:
        return f"{self.group_prefix}{stream}"

    def instance_id(self, stream: str) -> str | None:
        return f"{self.group_instance_id}.{stream}" if self.group_instance_id else None
