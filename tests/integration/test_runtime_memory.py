"""Bounded memory: a backlog far larger than the buffers is processed at flat RSS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fixtures.runtime import WorkerProcess, event, make_topic, produce

pytestmark = pytest.mark.integration

BACKLOG = 20_000


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_large_backlog_is_processed_at_flat_rss(bootstrap, make_name, ledger, workers, record_property):
    # Given a backlog of 20,000 events (about 8 MB) and buffers of 200 records per partition
    topic = make_topic(bootstrap, make_name("rt-memory"))
    records = [event(k, s) for s in range(BACKLOG // 100) for k in range(100)]
    produce(bootstrap, topic, [(key, value, []) for key, value, _ in records])
    env = {"RUNTIME_TEST_NO_HTTP": "1", "WORKER_PARTITION_BUFFER": "200", "WORKER_DEDUP_CACHE_SIZE": "1000"}
    worker = WorkerProcess(bootstrap, topic, ledger.url, make_name("g") + ".", **env)
    workers.append(worker.start())
    assert worker.process is not None
    pid = worker.process.pid

    def finished() -> float:
        return worker.metric("amili_fleet_events_finished_total")

    # When it works through the backlog, RSS sampled after a warm-up quarter and at the end
    worker.wait_for(lambda: finished() >= BACKLOG // 4, 120, "a quarter done")
    warm = _rss_mib(pid)
    samples = [warm]
    deadline = time.monotonic() + 120
    while finished() < BACKLOG:
        assert time.monotonic() < deadline, worker.summary()
        samples.append(_rss_mib(pid))
        time.sleep(0.25)  # sampling RSS is periodic by nature
    end = _rss_mib(pid)
    record_property("rss_mib", {"after_quarter": round(warm, 1), "peak": round(max(samples), 1), "end": round(end, 1)})
    print(f"RSS MiB: after a quarter {warm:.1f}, peak {max(samples):.1f}, end {end:.1f}")
    # Then memory stayed flat: the remaining three quarters added well under what they weigh
    assert max(samples) - warm < 12
    assert worker.metric("amili_fleet_events_finished_total", outcome="succeeded") == BACKLOG
    assert worker.terminate() == 0
