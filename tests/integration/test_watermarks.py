"""Poller watermarks survive a restart: read back from Kafka exactly, with no compaction to help."""

from __future__ import annotations

import pytest

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.watermarks import WatermarkStore

pytestmark = pytest.mark.integration


def test_last_saved_watermark_per_poller_is_read_back_by_a_new_store(bootstrap, make_name):
    settings = KafkaSettings(bootstrap_servers=bootstrap)
    topic = make_name("watermarks")
    store = WatermarkStore(settings, topic=topic)
    store.ensure_topic()
    assert store.load("export_closed_cases") is None

    store.save("export_closed_cases", {"updated_after": "Mon, 01 Jun 2026 00:00:00 GMT", "run": 1})
    store.save("track_revenue", {"created_after": "Tue, 02 Jun 2026 00:00:00 GMT"})
    store.save("export_closed_cases", {"updated_after": "Wed, 03 Jun 2026 10:00:00 GMT", "run": 2})

    # A new store (a restarted process) sees the last value per poller, and no marker records.
    restarted = WatermarkStore(settings, topic=topic)
    everything = restarted.load_all()
    assert everything == {
        "export_closed_cases": {"updated_after": "Wed, 03 Jun 2026 10:00:00 GMT", "run": 2},
        "track_revenue": {"created_after": "Tue, 02 Jun 2026 00:00:00 GMT"},
    }
    # Reading twice (more markers in the topic) changes nothing.
    assert restarted.load("export_closed_cases") == {
        "updated_after": "Wed, 03 Jun 2026 10:00:00 GMT",
        "run": 2,
    }
