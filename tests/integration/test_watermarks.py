"""Poller watermarks survive a restart: read back from Kafka exactly, with or without compaction, in a topic
whose keys stay bounded, through clients the store keeps (no ERROR line, no connection per run)."""

from __future__ import annotations

import logging

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.watermarks import MARKER_KEY, WatermarkStore

pytestmark = pytest.mark.integration


def test_last_saved_watermark_per_poller_is_read_back_by_a_new_store(bootstrap, make_name):
    settings = KafkaSettings(bootstrap_servers=bootstrap)
    topic = make_name("watermarks")
    with WatermarkStore(settings, topic=topic) as store:
        store.ensure_topic()
        assert store.load("export_closed_cases") is None

        store.save("export_closed_cases", {"updated_after": "Mon, 01 Jun 2026 00:00:00 GMT", "run": 1})
        store.save("track_revenue", {"created_after": "Tue, 02 Jun 2026 00:00:00 GMT"})
        store.save("export_closed_cases", {"updated_after": "Wed, 03 Jun 2026 10:00:00 GMT", "run": 2})

    # A new store (a restarted process) sees the last value per poller, and no marker records.
    with WatermarkStore(settings, topic=topic) as restarted:
        everything = restarted.load_all()
        assert everything == {
            "export_closed_cases": {"updated_after": "Wed, 03 Jun 2026 10:00:00 GMT", "run": 2},
            "track_revenue": {"created_after": "Tue, 02 Jun 2026 00:00:00 GMT"},
        }
        # Reading twice (more markers in the topic) changes nothing.
        assert restarted.load("export_closed_cases") == {"updated_after": "Wed, 03 Jun 2026 10:00:00 GMT", "run": 2}


def _keys(bootstrap: str, topic: str) -> list[bytes | None]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, fetch_max_wait_ms=50)
    partition = TopicPartition(topic, 0)
    try:
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        keys: list[bytes | None] = []
        while batch := consumer.poll(timeout_ms=500):
            keys.extend(record.key for records in batch.values() for record in records)
        return keys
    finally:
        consumer.close(autocommit=False)


def test_many_runs_leave_a_bounded_set_of_keys_and_log_no_error(bootstrap, make_name, caplog):
    """Forty poller runs (load, then save) by four pollers over three process lifetimes: the topic holds the
    four poller keys and one marker key, whatever the number of runs; nothing is logged at ERROR."""
    settings = KafkaSettings(bootstrap_servers=bootstrap)
    topic = make_name("watermarks")
    pollers = ["export_open_cases", "export_closed_cases", "export_payout_specifications", "track_revenue"]
    caplog.set_level(logging.WARNING)
    for lifetime in range(3):
        with WatermarkStore(settings, topic=topic) as store:
            store.ensure_topic()
            clients: tuple[object, object] | None = None
            for run in range(10 if lifetime < 2 else 20):
                poller = pollers[run % len(pollers)]
                before = store.load(poller)
                assert before is None or before["lifetime"] <= lifetime
                store.save(poller, {"lifetime": lifetime, "run": run})
                # The store keeps its two clients from one run to the next.
                clients = clients or (store._consumer, store._producer)
                assert (store._consumer, store._producer) == clients

    keys = _keys(bootstrap, topic)
    assert len(keys) >= 80  # every save and every marker was written (the local broker never compacts)
    assert set(keys) == {p.encode() for p in pollers} | {MARKER_KEY}
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    with WatermarkStore(settings, topic=topic) as store:
        assert store.load_all() == {p: {"lifetime": 2, "run": 16 + i} for i, p in enumerate(pollers)}


def test_a_topic_written_by_the_earlier_version_reads_back(bootstrap, make_name):
    """Earlier versions wrote a uuid-keyed marker with a JSON null per read: those carry no watermark."""
    settings = KafkaSettings(bootstrap_servers=bootstrap)
    topic = make_name("watermarks")
    with WatermarkStore(settings, topic=topic) as store:
        store.ensure_topic()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        for key, value in [
            (b"__marker__:9f0c2d9e-1b7a-4c55-8d0e-3f1e2a4b5c6d", b"null"),
            (b"track_revenue", b'{"created_after": "a"}'),
            (MARKER_KEY, None),
            (b"track_revenue", b'{"created_after": "b"}'),
        ]:
            producer.send(topic, key=key, value=value, partition=0).get(timeout=10)
    finally:
        producer.close()
    with WatermarkStore(settings, topic=topic) as store:
        assert store.load_all() == {"track_revenue": {"created_after": "b"}}
