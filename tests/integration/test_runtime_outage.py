"""An Amili-wide outage opens the circuit breaker: consumption pauses, nothing is dead-lettered,
and everything completes once Amili is back."""

from __future__ import annotations

import pytest

from tests.fixtures.runtime import TopicWatcher, WorkerProcess, event, make_topic, outcome_statuses, produce

pytestmark = pytest.mark.integration


def test_outage_pauses_consumption_and_burns_no_budget(bootstrap, make_name, ledger, workers, watchers):
    # Given 400 events and a worker whose records may fail only 4 times each
    topic = make_topic(bootstrap, make_name("rt-outage"))
    outcomes_topic = make_topic(bootstrap, make_name("rt-outage-out"))
    valid = [event(k, s) for s in range(10) for k in range(40)]
    produce(bootstrap, topic, [(key, value, []) for key, value, _ in valid])
    env = {"RUNTIME_TEST_OUTCOMES": outcomes_topic, "RUNTIME_TEST_MAX_ATTEMPTS": "4", "WORKER_PARTITION_BUFFER": "20"}
    worker = WorkerProcess(bootstrap, topic, ledger.url, make_name("g") + ".", **env)
    workers.append(worker.start())
    worker.wait_for(lambda: sum(ledger.state.applied.values()) >= 40, 30, "applying")
    # When the ledger fails every request
    ledger.state.faults.fail_all = True
    # Then the breaker opens and every partition is paused
    worker.wait_for(lambda: worker.metric("amili_fleet_circuit_state") > 0, 15, "circuit open")
    worker.wait_for(lambda: worker.metric("amili_fleet_paused_partitions") == 4, 15, "paused")
    # and the worker stays ready (it can take work once Amili is back; a not-ready fleet would block drains)
    ready = worker.get("/readyz")
    assert ready.status_code == 200
    assert "circuit open" in ready.text
    posts_during_outage = ledger.state.posts + ledger.state.lookups
    worker.wait_for(lambda: ledger.state.posts + ledger.state.lookups >= posts_during_outage + 3, 15, "probing")
    # and when it recovers, everything completes, once, without a dead letter
    ledger.state.faults.fail_all = False
    outcomes = TopicWatcher(bootstrap, outcomes_topic)
    watchers.append(outcomes)
    ids = {i for _, _, i in valid}
    outcomes.wait_until(lambda records: ids <= set(outcome_statuses(records)), 60, "every outcome")
    assert all(status == {"succeeded"} for status in outcome_statuses(outcomes.records).values())
    assert worker.metric("amili_fleet_dead_letters_total") == 0
    assert worker.metric("amili_fleet_circuit_state") == 0
    assert {i: n for i, n in ledger.state.applied.items() if n != 1} == {}
    assert worker.terminate() == 0
