"""Poller watermarks kept in Kafka, so they survive restarts without any other store.

Each poller writes its watermark as a record keyed by the poller's name to one single-partition topic, which
is compacted (`cleanup.policy=compact`, see workers.runtime.topics): the cluster keeps the last record per
key, so the topic stays as small as the number of pollers. The local broker never compacts, so reading
must not rely on it either way: `load()` writes a marker record and reads up to that marker's offset,
keeping the last value per key. The marker makes "read to the end" exact on any broker, without ListOffsets
(which the local broker answers wrongly), with or without compaction (a compacted-away record leaves a gap in
the offsets, which the consumer's position steps over).

The marker has ONE fixed key and no value (a tombstone), so the topic holds at most one marker key, which a
compacting cluster eventually drops altogether. The store keeps one producer and one consumer for its
lifetime: after the first load it reads only what was written since, and an idle poller opens no connection.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import orjson

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.topics import WATERMARK_TOPIC, ensure_topics, state_topic_configs

__all__ = ["MARKER_KEY", "WATERMARK_TOPIC", "WatermarkError", "WatermarkStore"]

MARKER_KEY = b"__marker__"


class WatermarkError(RuntimeError):
    """The watermark topic could not be read back to its end in time."""


class WatermarkStore:
    """Read and write per-poller watermarks (small JSON documents) in a single-partition topic."""

    def __init__(self, settings: KafkaSettings, topic: str = WATERMARK_TOPIC, timeout_s: float = 30.0) -> None:
        self.settings = settings
        self.topic = topic
        self.timeout_s = timeout_s
        self._lock = threading.Lock()  # pollers call from worker threads; a KafkaConsumer is not thread-safe
        self._producer: Any = None
        self._consumer: Any = None
        self._latest: dict[str, dict[str, Any]] = {}

    def ensure_topic(self) -> None:
        """Create the topic, compacted, when it is missing (a local run; `amili-fleet topics apply` provisions it
        with the cluster's replication settings)."""
        ensure_topics(self.settings, {self.topic: 1}, configs=state_topic_configs())

    def save(self, poller: str, value: dict[str, Any]) -> None:
        """Write the poller's new watermark and wait until the broker has it."""
        self._send(poller.encode(), orjson.dumps(value))

    def load(self, poller: str) -> dict[str, Any] | None:
        """The poller's last saved watermark, or None when it never saved one."""
        return self.load_all().get(poller)

    def load_all(self) -> dict[str, dict[str, Any]]:
        """Every poller's last watermark, read up to a marker written just now."""
        from kafka import TopicPartition

        marker_offset = self._send(MARKER_KEY, None)
        partition = TopicPartition(self.topic, 0)
        with self._lock:
            consumer = self._reader(partition)
            deadline = time.monotonic() + self.timeout_s
            while consumer.position(partition) <= marker_offset:
                if time.monotonic() > deadline:
                    raise WatermarkError(
                        f"could not read {self.topic} up to offset {marker_offset} within {self.timeout_s:.0f}s"
                    )
                for records in consumer.poll(timeout_ms=200).values():
                    for record in records:
                        key = (record.key or b"").decode()
                        # Markers (and the uuid-keyed ones of earlier versions) carry no watermark.
                        if not key.startswith(MARKER_KEY.decode()) and record.value is not None:
                            self._latest[key] = orjson.loads(record.value)
            return dict(self._latest)

    def __enter__(self) -> WatermarkStore:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close(autocommit=False)
                self._consumer = None
        if self._producer is not None:
            self._producer.close(timeout=self.timeout_s)
            self._producer = None

    def _reader(self, partition: Any) -> Any:
        if self._consumer is None:
            from kafka import KafkaConsumer

            consumer = KafkaConsumer(**self.settings.consumer_kwargs(None, fetch_max_wait_ms=100))
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            self._consumer = consumer
        return self._consumer

    def _send(self, key: bytes, value: bytes | None) -> int:
        if self._producer is None:
            from kafka import KafkaProducer

            with self._lock:
                if self._producer is None:
                    self._producer = KafkaProducer(**self.settings.producer_kwargs(linger_ms=0))
        metadata = self._producer.send(self.topic, key=key, value=value, partition=0).get(timeout=self.timeout_s)
        return int(metadata.offset)
