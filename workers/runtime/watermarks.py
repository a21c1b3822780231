"""Poller watermarks kept in Kafka, so they survive restarts without any other store.

Each poller writes its watermark as a record keyed by the poller's name to one single-partition topic.
On a real cluster that topic is compacted; the local broker never compacts, so reading must not rely on
it: `load()` first writes a marker record and reads the partition from the beginning up to that marker's
offset, keeping the last value per key. The marker makes "read to the end" exact on any broker, without
ListOffsets (which the local broker answers wrongly).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import orjson

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.topics import ensure_topics

WATERMARK_TOPIC = "amili-fleet.watermarks"
_MARKER_PREFIX = "__marker__:"


class WatermarkError(RuntimeError):
    """The watermark topic could not be read back to its end in time."""


@dataclass
class WatermarkStore:
    """Read and write per-poller watermarks (small JSON documents) in a single-partition topic."""

    settings: KafkaSettings
    topic: str = WATERMARK_TOPIC
    timeout_s: float = 30.0

    def ensure_topic(self) -> None:
        ensure_topics(self.settings, {self.topic: 1})

    def save(self, poller: str, value: dict[str, Any]) -> None:
        """Write the poller's new watermark and wait until the broker has it."""
        self._send(poller.encode(), orjson.dumps(value))

    def load(self, poller: str) -> dict[str, Any] | None:
        """The poller's last saved watermark, or None when it never saved one."""
        return self.load_all().get(poller)

    def load_all(self) -> dict[str, dict[str, Any]]:
        from kafka import KafkaConsumer, TopicPartition

        marker_offset = self._send(f"{_MARKER_PREFIX}{uuid.uuid4()}".encode(), b"null")
        partition = TopicPartition(self.topic, 0)
        consumer = KafkaConsumer(**self.settings.consumer_kwargs(None, fetch_max_wait_ms=100))
        latest: dict[str, dict[str, Any]] = {}
        try:
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            deadline = time.monotonic() + self.timeout_s
            while consumer.position(partition) <= marker_offset:
                if time.monotonic() > deadline:
                    raise WatermarkError(
                        f"could not read {self.topic} up to offset {marker_offset} within {self.timeout_s:.0f}s"
                    )
                for records in consumer.poll(timeout_ms=200).values():
                    for record in records:
                        key = (record.key or b"").decode()
                        if record.offset > marker_offset or key.startswith(_MARKER_PREFIX):
                            continue
                        latest[key] = orjson.loads(record.value)
        finally:
            consumer.close(autocommit=False)
        return latest

    def _send(self, key: bytes, value: bytes) -> int:
        from kafka import KafkaProducer

        producer = KafkaProducer(**self.settings.producer_kwargs(linger_ms=0))
        try:
            metadata = producer.send(self.topic, key=key, value=value, partition=0).get(timeout=self.timeout_s)
            return int(metadata.offset)
        finally:
            producer.close(timeout=self.timeout_s)
