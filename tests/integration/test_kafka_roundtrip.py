"""The foundation's promise, on the real broker and through the project's own Kafka settings:
produce with key and headers, consume in a group, commit, and resume exactly at the commit."""

from __future__ import annotations

from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration


def _consume(consumer: KafkaConsumer, count: int, timeout_s: float = 20.0) -> list[Any]:
    records: list[Any] = []
    polls = int(timeout_s / 0.1)
    for _ in range(polls):
        for batch in consumer.poll(timeout_ms=100).values():
            records.extend(batch)
        if len(records) >= count:
            break
    return records


def test_produce_consume_commit_and_resume_at_commit(bootstrap, make_name, fast_group_settings):
    # Given a topic with three partitions and 30 keyed records with headers
    settings = KafkaSettings(bootstrap_servers=bootstrap)
    topic, group = make_name("roundtrip"), make_name("group")
    assert ensure_topics(settings, {topic: 3}) == [topic]
    assert ensure_topics(settings, {topic: 3}) == []  # idempotent

    producer = KafkaProducer(**settings.producer_kwargs())
    sent = []
    for i in range(30):
        key = f"creditor-{i % 5}:INV-{i}".encode()
        headers = [("ce_id", f"evt-{i}".encode()), ("trace", b"")]
        sent.append(producer.send(topic, key=key, value=f"value-{i}".encode(), headers=headers))
    producer.flush(timeout=10)
    assert all(f.succeeded() for f in sent)
    producer.close()

    # When a group member reads 12 records, commits exactly those, and closes without auto-commit
    first = KafkaConsumer(topic, **settings.consumer_kwargs(group, max_poll_records=4, **fast_group_settings))
    seen = _consume(first, 12)
    taken = seen[:12]
    commit: dict[TopicPartition, int] = {}
    for record in taken:
        tp = TopicPartition(record.topic, record.partition)
        commit[tp] = max(commit.get(tp, 0), record.offset + 1)
    # Only contiguous prefixes per partition may be committed; poll order within a partition is offset order.
    first.commit({tp: _offset_meta(off) for tp, off in commit.items()})
    first.close(autocommit=False)

    # Then keys, values and headers came back exactly
    by_value = {r.value: r for r in taken}
    for record in by_value.values():
        i = int(record.value.decode().split("-")[1])
        assert record.key == f"creditor-{i % 5}:INV-{i}".encode()
        assert record.headers == [("ce_id", f"evt-{i}".encode()), ("trace", b"")]

    # And a restarted member of the same group resumes exactly at the commit: no gap, no overlap
    second = KafkaConsumer(topic, **settings.consumer_kwargs(group, **fast_group_settings))
    rest = _consume(second, 30 - len(taken))
    for tp, off in commit.items():
        assert second.committed(tp) == off
    second.close(autocommit=False)
    taken_values = {r.value for r in taken}
    rest_values = [r.value for r in rest]
    assert len(rest_values) == len(set(rest_values)) == 30 - len(taken)
    assert taken_values.isdisjoint(rest_values)
    assert taken_values | set(rest_values) == {f"value-{i}".encode() for i in range(30)}
    for record in rest:
        tp = TopicPartition(record.topic, record.partition)
        assert record.offset >= commit.get(tp, 0)


def _offset_meta(offset: int):
    from kafka.structs import OffsetAndMetadata

    return OffsetAndMetadata(offset, "", -1)
