"""The benchmark's Kafka side outside the fleet: publishing the requests (keeping each record's
timestamp) and collecting the outcomes the fleet publishes (with theirs), partition by partition."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import orjson

from schemas.catalog import OUTCOMES_TOPIC
from workers.demo.traffic import Record
from workers.runtime.kafka_settings import KafkaSettings


def publish(kafka: KafkaSettings, records: list[Record]) -> dict[str, int]:
    """Send every record, wait for all acks; event id -> the record's Kafka timestamp (ms)."""
    from kafka import KafkaProducer

    producer = KafkaProducer(**kafka.producer_kwargs(linger_ms=20, batch_size=256 * 1024))
    try:
        futures = [(r.event_id, producer.send(r.topic, key=r.key, value=r.value, headers=r.headers)) for r in records]
        producer.flush(timeout=120)
        return {event_id: int(future.get(timeout=30).timestamp) for event_id, future in futures}
    finally:
        producer.close()


def paced_publish(kafka: KafkaSettings, records: list[Record], rate: float) -> dict[str, int]:
    """Send at `rate` records per second (in 20 ms slices), for latency below saturation."""
    from kafka import KafkaProducer

    producer = KafkaProducer(**kafka.producer_kwargs(linger_ms=1))
    futures = []
    started = time.monotonic()
    try:
        for index, r in enumerate(records):
            due = started + index / rate
            delay = due - time.monotonic()
            if delay > 0.02:
                time.sleep(delay)
            futures.append((r.event_id, producer.send(r.topic, key=r.key, value=r.value, headers=r.headers)))
        producer.flush(timeout=60)
        return {event_id: int(future.get(timeout=30).timestamp) for event_id, future in futures}
    finally:
        producer.close()


@dataclass
class Outcomes:
    """What the collector saw: source event id -> (outcome record timestamp in ms, status)."""

    by_cause: dict[str, tuple[int, str]] = field(default_factory=dict)


class OutcomeCollector:
    """Reads amili.outcomes from the beginning without a consumer group (no join, no rebalance)."""

    def __init__(self, kafka: KafkaSettings) -> None:
        self.kafka = kafka
        self._seen = Outcomes()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-outcomes", daemon=True)

    def start(self) -> OutcomeCollector:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def count(self, event_ids: dict[str, int]) -> int:
        with self._lock:
            return sum(1 for event_id in event_ids if event_id in self._seen.by_cause)

    def snapshot(self) -> dict[str, tuple[int, str]]:
        with self._lock:
            return dict(self._seen.by_cause)

    def _run(self) -> None:
        from kafka import KafkaConsumer, TopicPartition

        consumer = KafkaConsumer(**self.kafka.consumer_kwargs(None, fetch_max_wait_ms=50))
        try:
            partitions = None
            while not partitions and not self._stop.is_set():
                partitions = consumer.partitions_for_topic(OUTCOMES_TOPIC)
                if not partitions:
                    time.sleep(0.2)
            assigned = [TopicPartition(OUTCOMES_TOPIC, p) for p in sorted(partitions or ())]
            consumer.assign(assigned)
            consumer.seek_to_beginning(*assigned)
            while not self._stop.is_set():
                for records in consumer.poll(timeout_ms=200, max_records=5000).values():
                    taken = [(orjson.loads(r.value), int(r.timestamp)) for r in records]
                    with self._lock:
                        for event, stamp in taken:
                            self._seen.by_cause[event["causationid"]] = (stamp, event["data"]["status"])
        finally:
            consumer.close(autocommit=False)
