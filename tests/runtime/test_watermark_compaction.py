"""The watermark read on a compacting cluster, which the local broker cannot show: a log with gaps.

Compaction keeps the last record per key and leaves the offsets of the removed ones empty; the consumer's
position steps over a gap. A fake log stands in for the broker (what it returns is what Kafka returns for a
compacted partition), so the loop's end condition and the last-value-per-key rule are checked against it.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.watermarks import MARKER_KEY, WatermarkStore


@dataclass
class Record:
    offset: int
    key: bytes
    value: bytes | None


class CompactedLog:
    """One partition: a producer appends, a consumer reads in batches of two, offsets may have gaps."""

    def __init__(self, records: list[Record], next_offset: int) -> None:
        self.records = records
        self.next_offset = next_offset
        self.read_from = 0
        self.polls = 0

    # producer side
    def send(self, topic, key, value, partition):
        self.records.append(Record(self.next_offset, key, value))
        self.next_offset += 1
        offset = self.next_offset - 1
        return type("Sent", (), {"get": lambda _self, timeout: type("Meta", (), {"offset": offset})()})()

    # consumer side
    def position(self, _partition) -> int:
        return self.read_from

    def poll(self, timeout_ms):
        self.polls += 1
        batch = [r for r in self.records if r.offset >= self.read_from][:2]
        if batch:
            # Like Kafka, the position moves past the last record returned, over any gap before it.
            self.read_from = batch[-1].offset + 1
        return {"tp": batch}

    def close(self, **_kwargs) -> None:
        pass


def _store(log: CompactedLog) -> WatermarkStore:
    store = WatermarkStore(KafkaSettings(), topic="amili-fleet.watermarks", timeout_s=5)
    store._consumer = log
    store._producer = log
    return store


def _value(document: dict[str, int]) -> bytes:
    return orjson.dumps(document)


def test_a_compacted_log_with_gaps_reads_back_the_last_value_per_poller():
    # Offsets 0-9 once held ten saves and markers; compaction left the last per key: 4, 7 and the marker at 8.
    log = CompactedLog(
        [
            Record(4, b"track_revenue", _value({"run": 3})),
            Record(7, b"export_closed_cases", _value({"run": 5})),
            Record(8, MARKER_KEY, None),
        ],
        next_offset=10,
    )
    store = _store(log)
    assert store.load_all() == {"track_revenue": {"run": 3}, "export_closed_cases": {"run": 5}}
    # It read up to its own marker (offset 10) and stopped there: no waiting for records that will never come.
    assert log.read_from == 11

    # A later save and load read only what was written since.
    store.save("track_revenue", {"run": 6})
    polls = log.polls
    assert store.load("track_revenue") == {"run": 6}
    assert log.polls - polls == 1


def test_the_end_is_found_when_the_marker_itself_was_compacted_away():
    # Another process's marker with the same key superseded ours before we read it: a gap where ours was.
    log = CompactedLog([Record(2, b"track_revenue", _value({"run": 1}))], next_offset=3)
    store = _store(log)
    original_send = log.send

    def send_then_compact(topic, key, value, partition):
        sent = original_send(topic, key, value, partition)
        ours = log.records.pop()  # ours (offset 3) is removed ...
        log.records.append(Record(ours.offset + 1, MARKER_KEY, None))  # ... by the next marker (offset 4)
        log.next_offset += 1
        return sent

    log.send = send_then_compact  # type: ignore[method-assign]
    assert store.load_all() == {"track_revenue": {"run": 1}}
    assert log.read_from == 5
