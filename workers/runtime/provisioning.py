"""Compare the fleet's topics (workers.runtime.topics) with a cluster, and create or alter what differs.

`plan()` reads the cluster; `apply()` creates missing topics, sets differing configs and (only when asked)
adds partitions. It never deletes a topic, never shrinks one and never changes a replication factor (that is a
partition reassignment, the cluster's own tooling): such differences are reported as warnings.

Brokers differ in what they answer, and each gap is reported, never a crash:
- a broker may return no value for a config that was never set (the local broker, tansu, returns only the
  configs set on the topic): the value is then unknown and `apply` sets it;
- a broker may refuse DescribeConfigs (ACLs) or drop the connection on it: every config counts as unknown;
- a broker may not implement CreatePartitions (tansu): adding partitions is reported as not possible there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.topics import TopicSpec


@dataclass(frozen=True)
class ExistingTopic:
    """A topic as the cluster has it; `configs` None when the broker would not describe them."""

    partitions: int
    replication_factor: int
    configs: dict[str, str] | None


@dataclass
class TopicPlan:
    """What `apply` would do to one topic, and what it will not do (warnings)."""

    spec: TopicSpec
    exists: bool
    #: config -> (current value or None when unknown, wanted value)
    configs: dict[str, tuple[str | None, str]] = field(default_factory=dict)
    add_partitions: tuple[int, int] | None = None  # (current, wanted)
    warnings: list[str] = field(default_factory=list)

    @property
    def changes(self) -> bool:
        return not self.exists or bool(self.configs) or self.add_partitions is not None

    def lines(self) -> list[str]:
        name = self.spec.name
        out: list[str] = []
        if not self.exists:
            out.append(f"create  {name}  ({self.spec.role}): {self.spec.describe()}")
        for key, (current, wanted) in sorted(self.configs.items()):
            shown = "unknown" if current is None else current
            out.append(f"alter   {name}  {key}: {shown} -> {wanted}")
        if self.add_partitions is not None:
            have, want = self.add_partitions
            out.append(f"extend  {name}  partitions: {have} -> {want}")
        out.extend(f"warning {name}  {w}" for w in self.warnings)
        return out


@dataclass
class Plan:
    topics: list[TopicPlan]
    #: problems with the whole plan (the cluster cannot hold the replication factor, configs not described ...)
    notes: list[str] = field(default_factory=list)

    @property
    def changes(self) -> list[TopicPlan]:
        return [t for t in self.topics if t.changes]

    def render(self) -> str:
        lines = [line for t in self.topics for line in t.lines()] + [f"note    {n}" for n in self.notes]
        pending = self.changes
        if pending:
            create = sum(1 for t in pending if not t.exists)
            alter = sum(1 for t in pending if t.exists and t.configs)
            extend = sum(1 for t in pending if t.add_partitions is not None)
            lines.append(f"{create} to create, {alter} to alter, {extend} to extend ({len(self.topics)} topics)")
        else:
            lines.append(f"nothing to do: all {len(self.topics)} topics are as configured")
        return "\n".join(lines)


class Admin(Protocol):
    """What plan and apply need from the cluster (TopicAdmin; a fake in unit tests)."""

    def describe(self, names: Sequence[str]) -> tuple[dict[str, ExistingTopic], list[str]]: ...
    def broker_count(self) -> int: ...
    def create(self, specs: Sequence[TopicSpec]) -> list[str]: ...
    def set_configs(self, name: str, configs: dict[str, str]) -> str | None: ...
    def add_partitions(self, name: str, total: int) -> str | None: ...


class ProvisioningError(RuntimeError):
    """The cluster could not be read or changed; the message says what and why."""


class TopicAdmin:
    """The few admin calls provisioning needs, with the brokers' gaps turned into plain answers."""

    def __init__(self, settings: KafkaSettings, timeout_s: float = 30.0) -> None:
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        try:
            self._admin = KafkaAdminClient(**settings.admin_kwargs(bootstrap_timeout_ms=int(timeout_s * 1000)))
        except KafkaError as exc:
            raise ProvisioningError(f"cannot reach Kafka at {settings.bootstrap_servers}: {_reason(exc)}") from None

    def close(self) -> None:
        self._admin.close()

    def __enter__(self) -> TopicAdmin:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def broker_count(self) -> int:
        return len(self._call("describe the cluster", self._admin.describe_cluster)["brokers"])

    def describe(self, names: Sequence[str]) -> tuple[dict[str, ExistingTopic], list[str]]:
        """The topics among `names` that exist, and notes on what the broker would not say."""
        existing = set(self._call("list topics", self._admin.list_topics))
        wanted = [n for n in names if n in existing]
        if not wanted:
            return {}, []
        described = self._call("describe topics", self._admin.describe_topics, wanted)
        configs, notes = self._configs(wanted)
        topics = {}
        for topic in described:
            partitions = topic["partitions"]
            replicas = len(partitions[0]["replica_nodes"]) if partitions else 0
            topics[topic["name"]] = ExistingTopic(len(partitions), replicas, configs.get(topic["name"]))
        return topics, notes

    def _configs(self, names: Sequence[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
        from kafka.admin import ConfigResource, ConfigResourceType

        # Every config ("all", no key list): brokers that return only the configs set on a topic still answer,
        # and the local broker drops the connection when asked for a list of keys.
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
        try:
            answer = self._admin.describe_configs(resources, config_filter="all")
        except Exception as exc:  # refused (ACLs), unsupported or the connection dropped
            why = f"the broker did not describe topic configs ({_reason(exc)})"
            return {}, [f"{why}: apply sets every configured value"]
        by_topic = answer.get("topic", {})
        return {
            name: {key: str(entry.get("value")) for key, entry in configs.items() if entry.get("value") is not None}
            for name, configs in by_topic.items()
        }, []

    def create(self, specs: Sequence[TopicSpec]) -> list[str]:
        """Create the topics; returns one error line per topic the broker refused (an existing one is no error)."""
        request = {
            s.name: {
                "num_partitions": s.partitions,
                "replication_factor": -1 if s.replication_factor is None else s.replication_factor,
                "configs": dict(s.configs),
            }
            for s in specs
        }
        answer = self._call("create topics", self._admin.create_topics, request, raise_errors=False)
        errors = []
        for topic in answer["topics"]:
            if topic["error_code"] not in (0, 36):  # 36: TOPIC_ALREADY_EXISTS (created meanwhile)
                errors.append(f"{topic['name']}: {_error(topic['error_code'], topic.get('error_message'))}")
        return errors

    def set_configs(self, name: str, configs: dict[str, str]) -> str | None:
        """Set configs on a topic (others untouched); an error line, or None."""
        from kafka.admin import ConfigResource, ConfigResourceType

        resource = ConfigResource(ConfigResourceType.TOPIC, name, dict(configs))
        try:
            # raise_on_unknown would check the keys against DescribeConfigs, which some brokers answer partly.
            answer = self._admin.alter_configs([resource], raise_on_unknown=False)
        except Exception as exc:
            return f"{name}: configs not set ({_reason(exc)})"
        result = answer.get("topic", {}).get(name)
        return None if result in (None, "OK") else f"{name}: configs not set ({result})"

    def add_partitions(self, name: str, total: int) -> str | None:
        from kafka.errors import IncompatibleBrokerVersion

        try:
            answer = self._admin.create_partitions({name: total}, raise_errors=False)
        except IncompatibleBrokerVersion:
            return f"{name}: this broker cannot add partitions (no CreatePartitions); add them with its own tools"
        except Exception as exc:
            return f"{name}: partitions not added ({_reason(exc)})"
        for result in answer.results:
            if result.error_code:
                return f"{name}: partitions not added ({_error(result.error_code, result.error_message)})"
        return None

    def _call(self, what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            raise ProvisioningError(f"could not {what}: {_reason(exc)}") from None


def plan(specs: Iterable[TopicSpec], admin: Admin) -> Plan:
    """What apply would change on the cluster to make it hold `specs`."""
    specs = list(specs)
    existing, notes = admin.describe([s.name for s in specs])
    wanted_rf = max((s.replication_factor or 0 for s in specs), default=0)
    if wanted_rf:
        brokers = admin.broker_count()
        if wanted_rf > brokers:
            notes.append(
                f"TOPICS_REPLICATION_FACTOR is {wanted_rf} but the cluster has {brokers} broker(s): "
                "new topics will be refused (set it to at most the broker count)"
            )
    return Plan([_plan_topic(s, existing.get(s.name)) for s in specs], notes)


def _plan_topic(spec: TopicSpec, current: ExistingTopic | None) -> TopicPlan:
    if current is None:
        return TopicPlan(spec, exists=False)
    result = TopicPlan(spec, exists=True)
    for key, wanted in spec.configs.items():
        have = None if current.configs is None else current.configs.get(key)
        if have is None or not _same(key, have, wanted):
            result.configs[key] = (have, wanted)
    if current.partitions < spec.partitions:
        result.add_partitions = (current.partitions, spec.partitions)
    elif current.partitions > spec.partitions:
        result.warnings.append(
            f"has {current.partitions} partitions, {spec.partitions} configured: left as is (never shrunk)"
        )
    if spec.replication_factor is not None and current.replication_factor != spec.replication_factor:
        result.warnings.append(
            f"replication factor is {current.replication_factor}, {spec.replication_factor} configured: "
            "change it with a partition reassignment (apply does not)"
        )
    return result


def _same(key: str, have: str, wanted: str) -> bool:
    if key == "cleanup.policy":  # a list: "compact,delete" == "delete,compact"
        return sorted(have.replace(" ", "").split(",")) == sorted(wanted.replace(" ", "").split(","))
    return have.strip() == wanted.strip()


@dataclass
class ApplyResult:
    done: list[str]
    errors: list[str]
    #: topic -> why a change was left out on purpose (adding partitions without --add-partitions)
    skipped: dict[str, str]


def apply(current: Plan, admin: Admin, *, add_partitions: bool = False) -> ApplyResult:
    """Create, alter and (when asked) extend; never delete, shrink or reassign."""
    done: list[str] = []
    errors: list[str] = []
    skipped: dict[str, str] = {}
    missing = [t.spec for t in current.topics if not t.exists]
    if missing:
        refused = admin.create(missing)
        errors.extend(refused)
        failed = {line.split(":", 1)[0] for line in refused}
        done.extend(f"created {s.name}" for s in missing if s.name not in failed)
    for topic in current.topics:
        if not topic.exists:
            continue
        if topic.configs:
            error = admin.set_configs(topic.spec.name, {k: wanted for k, (_, wanted) in topic.configs.items()})
            if error:
                errors.append(error)
            else:
                done.append(f"altered {topic.spec.name}: {', '.join(sorted(topic.configs))}")
        if topic.add_partitions is not None:
            have, wanted = topic.add_partitions
            if not add_partitions:
                skipped[topic.spec.name] = (
                    f"{have} -> {wanted} partitions not added: new partitions move keys, so events about one "
                    "claim may be reordered across the change; pass --add-partitions to do it"
                )
                continue
            error = admin.add_partitions(topic.spec.name, wanted)
            if error:
                errors.append(error)
            else:
                done.append(f"extended {topic.spec.name}: {have} -> {wanted} partitions")
    return ApplyResult(done, errors, skipped)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _error(code: int, message: str | None) -> str:
    from kafka.errors import for_code

    name = for_code(code).__name__
    return f"{name}: {message}" if message else name
