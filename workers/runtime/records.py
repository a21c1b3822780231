"""Plain Kafka reading and publishing for tools outside the consumer loop (the demo, smoke checks).

The runtime is the only code that imports kafka; a tool that needs to put a batch of records on a
topic, or to watch topics from the beginning, uses these two helpers and sees only plain dataclasses.
Neither joins a fleet consumer group or commits offsets: a follower reads under a throwaway group.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from workers.runtime.kafka_settings import KafkaSettings

Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


@dataclass(frozen=True)
class Delivered:
    """Where the broker put a published record."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True)
class ReadRecord:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


def publish_all(
    settings: KafkaSettings, records: Sequence[OutgoingRecord], *, linger_ms: int = 10, timeout: float = 60.0
) -> list[Delivered]:
    """Publish every record (idempotent producer, acks=all) and return where each landed, in order.

    Raises when the broker does not acknowledge a record within `timeout`: the caller must not assume
    a record was published that was not.
    """
    from kafka import KafkaProducer

    producer = KafkaProducer(**settings.producer_kwargs(linger_ms=linger_ms))
    try:
        futures = [producer.send(r.topic, key=r.key, value=r.value, headers=r.headers) for r in records]
        producer.flush(timeout=timeout)
        delivered = []
        for future in futures:
            meta = future.get(timeout=timeout)
            delivered.append(Delivered(meta.topic, meta.partition, meta.offset))
        return delivered
    finally:
        producer.close(timeout=10)


def follow(
    settings: KafkaSettings,
    topics: Sequence[str],
    on_records: Callable[[list[ReadRecord]], None],
    stop: threading.Event,
    *,
    group_prefix: str,
    **consumer_overrides: Any,
) -> None:
    """Read `topics` from their beginning until `stop` is set, handing each polled batch to `on_records`.

    Blocks the calling thread (run it in one of its own). The group is new on every call, so the
    follower never takes partitions from anyone, and it commits nothing.
    """
    from kafka import KafkaConsumer

    group = f"{group_prefix}-{uuid.uuid4().hex[:8]}"
    consumer = KafkaConsumer(**settings.consumer_kwargs(group, **consumer_overrides))
    consumer.subscribe(list(topics))
    try:
        while not stop.is_set():
            for records in consumer.poll(timeout_ms=200, max_records=2000).values():
                on_records([_read(r) for r in records])
    finally:
        consumer.close(autocommit=False)


def _read(record: Any) -> ReadRecord:
    headers = [(name, value or b"") for name, value in record.headers or ()]
    return ReadRecord(record.topic, record.partition, record.offset, record.key, record.value, headers)
