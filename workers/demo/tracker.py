"""Watches what the fleet publishes (outcomes, dead letters, facts) and tells which published records
have reached a terminal state. Runs a consumer thread of its own, outside any fleet consumer group."""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import orjson

from schemas.catalog import OUTCOMES_TOPIC, POLLERS, STREAMS
from schemas.deadletter import read_dead_letter
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.records import ReadRecord, follow


@dataclass(frozen=True)
class Published:
    """Where a demo record landed, and what it was."""

    use_case: str
    event_id: str
    topic: str
    partition: int
    offset: int
    kind: str  # "valid", "duplicate", "poison"


@dataclass
class Tally:
    outcomes: dict[str, dict[str, Any]] = field(default_factory=dict)  # outcome id -> data
    by_cause: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # event id -> statuses
    dead_letters: dict[tuple[str, int, int], dict[str, Any]] = field(default_factory=dict)
    facts: Counter[str] = field(default_factory=Counter)
    fact_ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    outcome_records: int = 0


class Tracker:
    """Consumes amili.outcomes, every dead-letter topic and the fact topics from the beginning."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self.tally = Tally()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-tracker", daemon=True)
        self.topics = [
            OUTCOMES_TOPIC,
            *(stream.dead_letter_topic for stream in STREAMS.values()),
            *(p.topic for p in POLLERS.values()),
        ]
        self._fact_topic = {p.topic: p.name for p in POLLERS.values()}

    def start(self) -> Tracker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        follow(
            self.settings,
            self.topics,
            self._take_all,
            self._stop,
            group_prefix="amili-fleet-demo-tracker",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            fetch_max_wait_ms=50,
        )

    def _take_all(self, records: list[ReadRecord]) -> None:
        with self._lock:
            for record in records:
                self._take(record)

    def _take(self, record: ReadRecord) -> None:
        if record.topic == OUTCOMES_TOPIC:
            event = orjson.loads(record.value or b"null")
            self.tally.outcome_records += 1
            self.tally.outcomes[event["id"]] = event["data"]
            self.tally.by_cause[event["causationid"]].add(event["data"]["status"])
        elif record.topic in self._fact_topic:
            event = orjson.loads(record.value or b"null")
            poller = self._fact_topic[record.topic]
            self.tally.facts[poller] += 1
            self.tally.fact_ids[poller].add(event["id"])
        else:
            info = read_dead_letter(record.headers)
            key = (info.original_topic, info.original_partition, info.original_offset)
            self.tally.dead_letters[key] = {"use_case": info.use_case, "error_class": info.error_class}

    def pending(self, published: list[Published]) -> list[Published]:
        """The published records that have no terminal state yet."""
        with self._lock:
            return [
                p
                for p in published
                if not self.tally.by_cause.get(p.event_id)
                and (p.topic, p.partition, p.offset) not in self.tally.dead_letters
            ]

    def snapshot(self) -> Tally:
        with self._lock:
            return Tally(
                outcomes=dict(self.tally.outcomes),
                by_cause={k: set(v) for k, v in self.tally.by_cause.items()},
                dead_letters=dict(self.tally.dead_letters),
                facts=Counter(self.tally.facts),
                fact_ids={k: set(v) for k, v in self.tally.fact_ids.items()},
                outcome_records=self.tally.outcome_records,
            )
