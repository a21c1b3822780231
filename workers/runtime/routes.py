"""Streams as a worker runs them: topics, event type -> use case, consumer group and dead-letter topic.

The catalog declares the defaults (`schemas.catalog.STREAMS`): one stream per use case on its own topic,
named after the use case (so its group stays `amili-fleet.<use case>` and keeps its committed offsets),
and the claim stream `billing.claims`. A registered use case the catalog does not know (an extra module
from WORKER_USE_CASE_MODULES) gets a stream of its own from its `consumes` topic. Settings change them:

    WORKER_TOPIC_PREFIX   prefixes every default topic and dead-letter topic ("acme." -> acme.billing.claims)
    WORKER_STREAMS        JSON: {stream: {topics, types, group, dead_letter_topic}} changes a stream's fields
                          (named in full, no prefix), adds a stream, or drops a default one (null)

Everything is checked once, at start-up: an unknown event type or use case, a use case that cannot handle a
type, a topic read by two streams, a dead-letter topic that is also consumed. A `RouteError` names the
stream and the field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from schemas.catalog import INBOUND_BY_TYPE, OUTCOMES_TOPIC, STREAMS, Stream, dead_letter_topic
from schemas.codec import type_field
from schemas.errors import ContractError
from workers.runtime.registry import UseCase, UseCaseError
from workers.runtime.settings import StreamSetting, WorkerSettings


class RouteError(UseCaseError):
    """The streams are configured wrongly (WORKER_STREAMS, WORKER_TOPIC_PREFIX) or a name is unknown."""


@dataclass(frozen=True)
class Route:
    """One stream as the engine consumes it: one consumer group over its topics."""

    name: str
    topics: tuple[str, ...]
    handlers: Mapping[str, UseCase]  # event type -> use case
    group: str
    dead_letter_topic: str

    @property
    def use_cases(self) -> list[UseCase]:
        """The distinct use cases the stream feeds, by name."""
        return sorted({uc.name: uc for uc in self.handlers.values()}.values(), key=lambda uc: uc.name)

    @property
    def publishes(self) -> str:
        """Where the outcome of a record no use case took goes: its use cases' outcomes topic if they share one."""
        topics = {uc.publishes for uc in self.handlers.values()}
        return topics.pop() if len(topics) == 1 else OUTCOMES_TOPIC

    def refuse(self, event_type: str, binary: bool) -> ContractError:
        """The contract error of a record whose type this stream does not carry: never guess a use case."""
        field = type_field(binary)
        owner = INBOUND_BY_TYPE.get(event_type)
        if owner is None:
            return ContractError.single(field, "unknown_type", "no inbound use case handles this event type")
        topics = ", ".join(self.topics)
        message = f"stream {self.name} ({topics}) does not carry this event type; it is for {owner.name}"
        return ContractError.single(field, "wrong_stream", message)

    def describe(self) -> str:
        """What `amili-fleet run --list` shows: topics, group, dead letters, then each type and its use case."""
        where = f"(group {self.group}, dead letters {self.dead_letter_topic})"
        head = f"{self.name}\tconsumes {', '.join(self.topics)} {where}"
        return "\n".join([head, *(f"\t  {_short(t)} -> {uc.name}" for t, uc in self.handlers.items())])


def build_routes(registry: Mapping[str, UseCase], settings: WorkerSettings) -> dict[str, Route]:
    """Every stream this configuration defines, checked; keyed by stream name."""
    defaults = _defaults(registry)
    routes: dict[str, Route] = {}
    for name in sorted(set(defaults) | set(settings.streams)):
        default = defaults.get(name)
        if name in settings.streams and settings.streams[name] is None:
            if default is None:
                raise RouteError(f"WORKER_STREAMS.{name}: there is no default stream {name!r} to drop")
            continue
        setting = settings.streams.get(name) or StreamSetting()
        if default is None:
            if setting.topics is None or setting.types is None:
                raise RouteError(f"WORKER_STREAMS.{name}: a new stream needs both topics and types")
            default = (Stream(name, tuple(setting.topics), setting.types), dead_letter_topic(setting.topics[0]))
        stream, default_dlq = default
        if setting.topics is not None:  # named in full: no prefix
            topics, dlq = tuple(setting.topics), dead_letter_topic(setting.topics[0])
        else:
            topics, dlq = tuple(settings.topic_prefix + t for t in stream.topics), settings.topic_prefix + default_dlq
        types = stream.types if setting.types is None else setting.types
        handlers = {t: _handler(name, t, use_case, registry) for t, use_case in types.items()}
        group = setting.group or settings.group_id(name)
        routes[name] = Route(name, topics, handlers, group, setting.dead_letter_topic or dlq)
    _check_topics(routes.values())
    return routes


def _defaults(registry: Mapping[str, UseCase]) -> dict[str, tuple[Stream, str]]:
    """The default streams with their dead-letter topics: the catalog's, and one of its own for each
    registered use case the catalog does not know (its `consumes` and `dead_letter_topic`)."""
    # A catalog stream needs its use cases registered (they always are, unless a test replaced the registry).
    defaults = {
        name: (stream, stream.dead_letter_topic)
        for name, stream in STREAMS.items()
        if all(uc in registry for uc in stream.types.values())
    }
    catalogued = {name for stream in STREAMS.values() for name in stream.types.values()}
    for uc in registry.values():
        if uc.name not in catalogued and uc.name not in defaults:
            defaults[uc.name] = (Stream(uc.name, (uc.consumes,), _own_types(uc)), uc.dead_letter_topic)
    return defaults


def select_routes(routes: Mapping[str, Route], names: Iterable[str]) -> list[Route]:
    """The named streams; an unknown name is an error that lists the known ones."""
    chosen = []
    for name in names:
        if name not in routes:
            raise RouteError(f"unknown stream {name!r} (known: {', '.join(sorted(routes)) or 'none'})")
        chosen.append(routes[name])
    return chosen


def _own_types(uc: UseCase) -> dict[str, str]:
    """The catalogued event types a use case outside the catalog can handle (every one when it takes any)."""
    types = {t: uc.name for t, spec in INBOUND_BY_TYPE.items() if uc.event is None or issubclass(spec.model, uc.event)}
    if not types:
        raise RouteError(f"use case {uc.name!r}: its event model matches no catalogued event type")
    return types


def _handler(stream: str, event_type: str, name: str, registry: Mapping[str, UseCase]) -> UseCase:
    where = f"WORKER_STREAMS.{stream}.types.{event_type}"
    spec = INBOUND_BY_TYPE.get(event_type)
    if spec is None:
        raise RouteError(f"{where}: unknown event type (known: {', '.join(sorted(INBOUND_BY_TYPE))})")
    uc = registry.get(name)
    if uc is None:
        raise RouteError(f"{where}: unknown use case {name!r} (known: {', '.join(sorted(registry)) or 'none'})")
    if uc.event is not None and not issubclass(spec.model, uc.event):
        raise RouteError(f"{where}: {name} handles {uc.event.__name__}, not {spec.model.__name__}")
    return uc


def _check_topics(routes: Iterable[Route]) -> None:
    """A topic belongs to one stream: two groups on one topic would each refuse the other's types."""
    readers: dict[str, str] = {}
    routes = list(routes)
    for route in routes:
        for topic in route.topics:
            if topic in readers:
                raise RouteError(f"WORKER_STREAMS.{route.name}.topics: {topic} is already read by {readers[topic]}")
            readers[topic] = route.name
    for route in routes:
        if route.dead_letter_topic in readers:
            reader = readers[route.dead_letter_topic]
            raise RouteError(
                f"WORKER_STREAMS.{route.name}.dead_letter_topic: {route.dead_letter_topic} is consumed by {reader}"
            )


def _short(event_type: str) -> str:
    return event_type.removeprefix("se.amili-fleet.")
