"""Known series exist at 0 from the start, so `increase()` sees the first event after a restart; a poller's
last success is a real time."""

from __future__ import annotations

import time

from prometheus_client import generate_latest

from workers.runtime.metrics import ERROR_CLASSES, OUTCOMES, Metrics


def _value(metrics: Metrics, name: str, **labels: str) -> float | None:
    value = metrics.registry.get_sample_value(name, labels)
    return None if value is None else float(value)


def test_every_known_use_case_outcome_and_error_class_starts_at_zero():
    metrics = Metrics()
    metrics.precreate(
        ["register_invoice"], ["claims"], ["export_closed_cases"], [("export_closed_cases", "closed.reason")]
    )
    for name in ("register_invoice", "claims"):
        for outcome in OUTCOMES:
            assert _value(metrics, "amili_fleet_events_finished_total", use_case=name, outcome=outcome) == 0
        for error in ERROR_CLASSES:
            assert _value(metrics, "amili_fleet_dead_letters_total", use_case=name, error_class=error) == 0
    assert _value(metrics, "amili_fleet_stuck_partitions", use_case="claims") == 0
    assert _value(metrics, "amili_fleet_rebalance_events_total", use_case="claims", event="lost") == 0
    assert _value(metrics, "amili_fleet_publish_failures_total", error_class="KafkaTimeoutError") == 0
    assert _value(metrics, "amili_fleet_poller_runs_total", poller="export_closed_cases", result="failed") == 0
    field = {"use_case": "export_closed_cases", "field": "closed.reason"}
    assert _value(metrics, "amili_fleet_unknown_values_total", **field) == 0
    assert b"amili_fleet_events_finished_total{" in generate_latest(metrics.registry)


def test_a_pollers_last_success_is_the_process_start_until_a_run_succeeds():
    metrics = Metrics()
    before = time.time()
    metrics.precreate([], [], ["track_revenue"])
    started = _value(metrics, "amili_fleet_poll_last_success_timestamp_seconds", poller="track_revenue")
    assert started is not None
    assert started >= before - 1
    metrics.observe_poll("track_revenue", "failed", 0, 0.1)
    assert _value(metrics, "amili_fleet_poll_last_success_timestamp_seconds", poller="track_revenue") == started
    time.sleep(0.01)
    metrics.observe_poll("track_revenue", "succeeded", 3, 0.1)
    last = _value(metrics, "amili_fleet_poll_last_success_timestamp_seconds", poller="track_revenue")
    assert last is not None
    assert last > started
    metrics.unknown_value("track_revenue", "summary")
    assert _value(metrics, "amili_fleet_unknown_values_total", use_case="track_revenue", field="summary") == 1
