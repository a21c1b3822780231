"""Every topic the fleet uses, as it should exist on the cluster: partitions, replication and configs.

The list is derived, never written by hand: the streams' topics and dead-letter topics (workers.runtime.routes),
the outcome topics their use cases publish to, the facts the pollers publish, and the runtime's own state topics
(`STATE_TOPICS`: add one line there to add one). How each kind is created comes from the `TOPICS_*` settings:

    TOPICS_PARTITIONS                 partitions of inbound, outcome and fact topics (default 6)
    TOPICS_DEAD_LETTER_PARTITIONS     partitions of dead-letter topics (default 1)
    TOPICS_REPLICATION_FACTOR         unset: the broker's default.replication.factor (3 on a production cluster)
    TOPICS_MIN_INSYNC_REPLICAS        unset: the broker's default (2 with replication 3)
    TOPICS_RETENTION_MS               inbound, outcome and fact topics; unset: the broker's default
    TOPICS_DEAD_LETTER_RETENTION_MS   default -1: dead letters never expire on their own
    TOPICS_OVERRIDES                  JSON {topic: {"partitions": N, "configs": {name: value}}}

`amili-fleet topics plan|apply` (workers/runtime/provisioning.py) compares this with the cluster.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.routes import Route

Role = Literal["inbound", "dead letters", "outcomes", "facts", "state"]


@dataclass(frozen=True)
class StateTopic:
    """A topic the runtime keeps its own state in: one partition, compacted, one live record per key."""

    name: str
    holds: str


WATERMARK_TOPIC = "amili-fleet.watermarks"
#: The runtime's state topics. Add a line to add one; `topics plan|apply` and the chart's Job pick it up.
STATE_TOPICS: tuple[StateTopic, ...] = (StateTopic(WATERMARK_TOPIC, "poller watermarks, one key per poller"),)

#: State topics roll a segment every hour so compaction (which never touches the open segment) keeps them small.
STATE_SEGMENT_MS = 3_600_000


def state_topic_configs() -> dict[str, str]:
    """The configs every state topic has: compacted (the last record per key is kept), segments rolled hourly."""
    return {"cleanup.policy": "compact", "segment.ms": str(STATE_SEGMENT_MS)}


class TopicOverride(BaseModel):
    """One entry of TOPICS_OVERRIDES: a topic's own partition count and extra configs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partitions: int | None = Field(default=None, ge=1)
    configs: dict[str, str] = Field(default_factory=dict, description="topic configs, e.g. max.message.bytes")


class TopicSettings(BaseSettings):
    """How the fleet's topics are created (`TOPICS_*`); read by `amili-fleet topics` and the chart's Job."""

    model_config = SettingsConfigDict(env_prefix="TOPICS_", extra="ignore")

    partitions: int = Field(default=6, ge=1, description="inbound, outcome and fact topics")
    dead_letter_partitions: int = Field(default=1, ge=1)
    replication_factor: int | None = Field(
        default=None, ge=1, description="unset: the broker's default.replication.factor"
    )
    min_insync_replicas: int | None = Field(default=None, ge=1, description="unset: the broker's default")
    retention_ms: int | None = Field(default=None, ge=-1, description="inbound, outcome and fact topics")
    dead_letter_retention_ms: int = Field(default=-1, ge=-1, description="-1: dead letters never expire")
    overrides: dict[str, TopicOverride] = Field(default_factory=dict, description="JSON: topic -> override")

    @model_validator(mode="after")
    def _replicas_make_sense(self) -> Self:
        rf, isr = self.replication_factor, self.min_insync_replicas
        if rf is not None and isr is not None and isr > rf:
            raise ValueError(f"min_insync_replicas ({isr}) must not exceed replication_factor ({rf})")
        return self


@dataclass(frozen=True)
class TopicSpec:
    """One topic as it should exist. `replication_factor` None means the broker's default."""

    name: str
    role: Role
    partitions: int
    replication_factor: int | None
    configs: Mapping[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        replicas = "broker default" if self.replication_factor is None else str(self.replication_factor)
        configs = ", ".join(f"{k}={v}" for k, v in sorted(self.configs.items()))
        partitions = f"{self.partitions} partition{'s' if self.partitions != 1 else ''}"
        return f"{partitions}, replication {replicas}" + (f", {configs}" if configs else "")


def desired_topics(routes: Iterable[Route], poller_topics: Iterable[str], settings: TopicSettings) -> list[TopicSpec]:
    """Every topic the given streams and pollers use (each once), with its partitions and configs."""
    routes = list(routes)
    named: dict[str, Role] = {}
    for role, names in (
        ("inbound", [t for r in routes for t in r.topics]),
        ("dead letters", [r.dead_letter_topic for r in routes]),
        ("outcomes", [uc.publishes for r in routes for uc in r.use_cases] + [r.publishes for r in routes]),
        ("facts", list(poller_topics)),
        ("state", [s.name for s in STATE_TOPICS]),
    ):
        for name in names:
            named.setdefault(name, role)  # type: ignore[arg-type]
    return [_spec(name, role, settings) for name, role in sorted(named.items(), key=_by_role)]


_ROLE_ORDER: Sequence[Role] = ("inbound", "dead letters", "outcomes", "facts", "state")


def _by_role(item: tuple[str, Role]) -> tuple[int, str]:
    return _ROLE_ORDER.index(item[1]), item[0]


def _spec(name: str, role: Role, settings: TopicSettings) -> TopicSpec:
    configs: dict[str, str] = {}
    partitions = settings.partitions
    if role == "dead letters":
        partitions = settings.dead_letter_partitions
        configs["retention.ms"] = str(settings.dead_letter_retention_ms)
    elif role == "state":
        partitions = 1  # one partition: a reader finds every key in one place, in order
        configs.update(state_topic_configs())
    elif settings.retention_ms is not None:
        configs["retention.ms"] = str(settings.retention_ms)
    if settings.min_insync_replicas is not None:
        configs["min.insync.replicas"] = str(settings.min_insync_replicas)
    override = settings.overrides.get(name)
    if override is not None:
        if override.partitions is not None and role != "state":
            partitions = override.partitions
        configs.update(override.configs)
    return TopicSpec(name, role, partitions, settings.replication_factor, configs)


def ensure_topics(
    settings: KafkaSettings,
    partitions: Mapping[str, int],
    replication_factor: int | None = None,
    configs: Mapping[str, str] | None = None,
) -> list[str]:
    """Create each missing topic with its partition count (and `configs`, for all of them): the quick set-up of
    the tests, the demo and a local run; return the names created. `replication_factor` None: the broker's."""
    from kafka import KafkaAdminClient
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(**settings.admin_kwargs())
    try:
        existing = set(admin.list_topics())
        missing = {
            name: {
                "num_partitions": count,
                "replication_factor": replication_factor or -1,
                "configs": dict(configs or {}),
            }
            for name, count in partitions.items()
            if name not in existing
        }
        if not missing:
            return []
        # Another replica may create it between our list and our create.
        with contextlib.suppress(TopicAlreadyExistsError):
            admin.create_topics(missing)
        return list(missing)
    finally:
        admin.close()
