"""The topics the fleet needs are derived from its streams and pollers, and the plan against a cluster never
deletes, shrinks or reassigns: checked against a fake cluster (the real broker is in tests/integration)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from schemas.catalog import OUTCOMES_TOPIC, POLLERS, STREAMS
from workers.runtime.provisioning import ExistingTopic, apply, plan
from workers.runtime.registry import discover
from workers.runtime.routes import build_routes
from workers.runtime.settings import StreamSetting, WorkerSettings
from workers.runtime.topics import STATE_TOPICS, WATERMARK_TOPIC, TopicSettings, TopicSpec, desired_topics

REAL = discover()
FACTS = [p.topic for p in POLLERS.values()]


def _topics(worker: WorkerSettings | None = None, **settings: object) -> dict[str, TopicSpec]:
    routes = build_routes(REAL, worker or WorkerSettings())
    specs = desired_topics(routes.values(), FACTS, TopicSettings(**settings))  # type: ignore[arg-type]
    names = [s.name for s in specs]
    assert len(names) == len(set(names)), "each topic once"
    return {s.name: s for s in specs}


def test_every_topic_of_the_default_streams_and_pollers_is_there_once():
    topics = _topics()
    inbound = {t for s in STREAMS.values() for t in s.topics}
    expected = {
        **dict.fromkeys(inbound, "inbound"),
        **{f"{t}.dlq": "dead letters" for t in inbound},
        OUTCOMES_TOPIC: "outcomes",
        **dict.fromkeys(FACTS, "facts"),
        **{s.name: "state" for s in STATE_TOPICS},
    }
    assert {name: spec.role for name, spec in topics.items()} == expected
    assert WATERMARK_TOPIC in topics


def test_kinds_get_their_settings_and_dead_letters_never_expire_by_default():
    topics = _topics(replication_factor=3, min_insync_replicas=2, retention_ms=604_800_000, partitions=12)
    invoice, dlq = topics["billing.invoice-issued"], topics["billing.invoice-issued.dlq"]
    assert (invoice.partitions, invoice.replication_factor) == (12, 3)
    assert invoice.configs == {"retention.ms": "604800000", "min.insync.replicas": "2"}
    assert (dlq.partitions, dlq.configs["retention.ms"]) == (1, "-1")
    state = topics[WATERMARK_TOPIC]
    assert state.partitions == 1
    assert state.configs["cleanup.policy"] == "compact"
    assert "retention.ms" not in state.configs  # compaction, not time, bounds it
    assert all(s.replication_factor == 3 for s in topics.values())


def test_replication_is_the_brokers_default_unless_set():
    assert {s.replication_factor for s in _topics().values()} == {None}
    assert all("min.insync.replicas" not in s.configs for s in _topics().values())


def test_overrides_set_one_topics_partitions_and_configs():
    overrides = {"billing.invoice-issued": {"partitions": 24, "configs": {"max.message.bytes": "2097152"}}}
    invoice = _topics(overrides=overrides)["billing.invoice-issued"]
    assert invoice.partitions == 24
    assert invoice.configs == {"max.message.bytes": "2097152"}
    # A state topic keeps its single partition: its reader relies on it.
    assert _topics(overrides={WATERMARK_TOPIC: {"partitions": 6}})[WATERMARK_TOPIC].partitions == 1


def test_the_streams_settings_decide_the_topics():
    worker = WorkerSettings(topic_prefix="acme.", streams={"register_invoice": None})
    topics = _topics(worker)
    assert "acme.billing.claims" in topics
    assert "acme.billing.claims.dlq" in topics
    assert "billing.invoice-issued" not in topics
    assert "acme.billing.invoice-issued" not in topics
    assert OUTCOMES_TOPIC in topics  # outcomes are not prefixed
    moved = WorkerSettings(streams={"claims": StreamSetting(topics=["erp.outbox"])})
    assert {"erp.outbox", "erp.outbox.dlq"} <= set(_topics(moved))


def test_bad_settings_name_the_field():
    with pytest.raises(ValidationError, match="min_insync_replicas"):
        TopicSettings(replication_factor=1, min_insync_replicas=2)
    with pytest.raises(ValidationError, match="overrides"):
        TopicSettings(overrides={"t": {"partitons": 3}})


class FakeCluster:
    """A cluster as plan/apply see it; records what apply asked for."""

    def __init__(self, topics: dict[str, ExistingTopic], brokers: int = 3, can_extend: bool = True) -> None:
        self.topics = topics
        self.brokers = brokers
        self.can_extend = can_extend
        self.calls: list[tuple[str, object]] = []

    def describe(self, names: Sequence[str]) -> tuple[dict[str, ExistingTopic], list[str]]:
        return {n: self.topics[n] for n in names if n in self.topics}, []

    def broker_count(self) -> int:
        return self.brokers

    def create(self, specs: Sequence[TopicSpec]) -> list[str]:
        self.calls.append(("create", [s.name for s in specs]))
        return []

    def set_configs(self, name: str, configs: dict[str, str]) -> str | None:
        self.calls.append(("set", (name, configs)))
        return None

    def add_partitions(self, name: str, total: int) -> str | None:
        self.calls.append(("extend", (name, total)))
        return None if self.can_extend else f"{name}: this broker cannot add partitions (no CreatePartitions)"


def _spec(name: str = "t", partitions: int = 6, rf: int | None = 3, **configs: str) -> TopicSpec:
    return TopicSpec(name, "inbound", partitions, rf, {k.replace("_", "."): v for k, v in configs.items()})


def test_a_missing_topic_is_created_and_a_matching_one_left_alone():
    cluster = FakeCluster({"same": ExistingTopic(6, 3, {"retention.ms": "-1"})})
    current = plan([_spec("new"), _spec("same", retention_ms="-1")], cluster)
    assert [t.spec.name for t in current.changes] == ["new"]
    assert apply(current, cluster).done == ["created new"]
    assert cluster.calls == [("create", ["new"])]


def test_a_differing_or_unknown_config_is_set_and_only_that_one():
    cluster = FakeCluster({"t": ExistingTopic(6, 3, {"retention.ms": "604800000", "cleanup.policy": "delete"})})
    current = plan([_spec(retention_ms="-1", cleanup_policy="delete", min_insync_replicas="2")], cluster)
    (topic,) = current.changes
    assert topic.configs == {"retention.ms": ("604800000", "-1"), "min.insync.replicas": (None, "2")}
    assert "alter   t  min.insync.replicas: unknown -> 2" in current.render()
    apply(current, cluster)
    assert cluster.calls == [("set", ("t", {"retention.ms": "-1", "min.insync.replicas": "2"}))]


def test_undescribed_configs_count_as_unknown():
    cluster = FakeCluster({"t": ExistingTopic(6, 3, None)})
    (topic,) = plan([_spec(retention_ms="-1")], cluster).changes
    assert topic.configs == {"retention.ms": (None, "-1")}


def test_never_shrinks_and_never_reassigns_but_says_so():
    cluster = FakeCluster({"t": ExistingTopic(12, 1, {})})
    current = plan([_spec(partitions=6, rf=3)], cluster)
    assert current.changes == []
    text = current.render()
    assert "has 12 partitions, 6 configured: left as is (never shrunk)" in text
    assert "replication factor is 1, 3 configured" in text
    assert "nothing to do" in text
    assert apply(current, cluster).done == []
    assert cluster.calls == []


def test_partitions_are_added_only_when_asked():
    cluster = FakeCluster({"t": ExistingTopic(3, 3, {})})
    current = plan([_spec(partitions=6)], cluster)
    result = apply(current, cluster)
    assert result.done == []
    assert "pass --add-partitions" in result.skipped["t"]
    assert cluster.calls == []
    assert apply(current, cluster, add_partitions=True).done == ["extended t: 3 -> 6 partitions"]
    assert cluster.calls == [("extend", ("t", 6))]


def test_a_broker_that_cannot_add_partitions_is_an_error_not_a_crash():
    cluster = FakeCluster({"t": ExistingTopic(3, 3, {})}, can_extend=False)
    result = apply(plan([_spec(partitions=6)], cluster), cluster, add_partitions=True)
    assert result.errors == ["t: this broker cannot add partitions (no CreatePartitions)"]


def test_a_replication_factor_above_the_broker_count_is_noted():
    current = plan([_spec("new", rf=3)], FakeCluster({}, brokers=1))
    assert any("TOPICS_REPLICATION_FACTOR is 3 but the cluster has 1 broker" in n for n in current.notes)
    assert plan([_spec("new", rf=None)], FakeCluster({}, brokers=1)).notes == []
