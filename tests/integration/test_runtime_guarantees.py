"""The engine's core guarantees on the real broker, with worker subprocesses and a faulty loopback ledger.

Nothing lost, no duplicate side effects, order per key: through 5xx, late answers, dropped connections,
upstream duplicates, poison records, a SIGKILL mid-stream and a rebalance to a second worker.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from schemas.deadletter import read_dead_letter
from tests.fixtures.runtime import (
    CREDITOR,
    EVENT_TYPE,
    Faults,
    TopicWatcher,
    WorkerProcess,
    event,
    make_topic,
    outcome_statuses,
    produce,
)

pytestmark = pytest.mark.integration

KEYS = 50
PER_KEY = 24


def _poison() -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    key, good, _ = event(500, 0)
    envelope = orjson.loads(good)
    unknown_type = {**envelope, "id": "poison-type", "type": EVENT_TYPE.replace("case-status", "cake-status")}
    invalid = {**envelope, "id": "poison-invalid", "data": {"case": {"invoice_number": "INV-500"}}}
    mismatch = {**envelope, "id": "poison-mismatch"}
    return [
        (key, b"not json", [("origin", b"erp")]),
        (key, b'{"hello": "world"}', []),
        (key, None, []),
        (key, orjson.dumps(unknown_type), []),
        (key, orjson.dumps(invalid), []),
        (f"{CREDITOR}:INV-other".encode(), orjson.dumps(mismatch), []),
        (b"no-colon-key", good, []),
        (key, b'{"specversion": "1.0", "pad": "' + b"x" * 40_000 + b'"}', []),
    ]


@pytest.mark.parametrize("strategy", ["cooperative-sticky", "range"])
def test_nothing_lost_no_duplicates_order_per_key_through_kill_and_rebalance(
    strategy, bootstrap, make_name, ledger, workers, watchers
):
    # Given 1200 events on 50 keys, 60 upstream duplicates, 8 poison records and 3 rejections, and a
    # ledger that fails 5% of writes, answers 3% too late and drops the connection after 3%
    topic = make_topic(bootstrap, make_name("rt-guarantees"))
    outcomes_topic = make_topic(bootstrap, make_name("rt-outcomes"))
    valid = [event(k, s) for s in range(PER_KEY) for k in range(KEYS)]
    rejected = [event(600 + i, 0, reject=True) for i in range(3)]
    duplicates = [valid[i * 20] for i in range(len(valid) // 20)]
    poison = _poison()
    stream: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
    for i, (key, value, _) in enumerate(valid):
        stream.append((key, value, []))
        if i % 20 == 19:
            dup_key, dup_value, _ = duplicates[i // 20]
            stream.append((dup_key, dup_value, []))
        if i % 150 == 100:
            stream.append(poison[i // 150])
    stream += [(key, value, []) for key, value, _ in rejected]
    # (writes take 50 ms and at most 3 run at once, so the stream lasts well past a cooperative rejoin)
    ledger.state.faults = Faults(
        error_rate=0.05, late_rate=0.03, drop_rate=0.03, late_seconds=0.6, latency_seconds=0.05
    )
    produce(bootstrap, topic, stream)
    outcomes = TopicWatcher(bootstrap, outcomes_topic)
    watchers.append(outcomes)
    env = {
        "RUNTIME_TEST_OUTCOMES": outcomes_topic,
        "WORKER_MAX_RECORD_BYTES": "20000",
        "RUNTIME_TEST_TIMEOUT": "0.4",
        "WORKER_ASSIGNMENT_STRATEGY": strategy,
        "WORKER_MAX_IN_FLIGHT": "3",
    }
    group = make_name("g") + "."

    # When a worker is SIGKILLed mid-stream, restarted, and joined by a second worker
    first = WorkerProcess(bootstrap, topic, ledger.url, group, **env)
    workers.append(first.start())
    first.wait_for(lambda: sum(ledger.state.applied.values()) >= 300, 60, "applying")
    first.kill()
    second = WorkerProcess(bootstrap, topic, ledger.url, group, **env)
    workers.append(second.start())
    second.wait_for(lambda: sum(ledger.state.applied.values()) >= 350, 60, "applying again")
    third = WorkerProcess(bootstrap, topic, ledger.url, group, **env)
    workers.append(third.start())
    third.wait_for(lambda: third.metric("amili_fleet_assigned_partitions") > 0, 60, "assigned")
    assert sum(ledger.state.applied.values()) < len(valid)  # the rebalance came mid-stream
    expected = {i for _, _, i in valid + rejected}
    bad_key_id = orjson.loads(poison[6][1] or b"{}")["id"]
    poison_with_envelope = {"poison-type", "poison-invalid", "poison-mismatch", bad_key_id}
    unreadable = 4  # not JSON, not a CloudEvent, no value, too large: answered by their position

    def unreadable_ids(records: list[Any]) -> set[str]:
        data = (orjson.loads(r.value)["data"] for r in records)
        return {d["source_event"]["id"] for d in data if d["source_event"]["type"] == "unreadable"}

    try:
        outcomes.wait_until(
            lambda records: (
                expected | poison_with_envelope <= set(outcome_statuses(records))
                and len(unreadable_ids(records)) == unreadable
            ),
            90,
            "every outcome",
        )
    except AssertionError:
        missing = sorted((expected | poison_with_envelope) - set(outcome_statuses(outcomes.records)))
        raise AssertionError(
            f"{len(missing)} missing, e.g. {missing[:10]}\n{second.summary()}\n---\n{third.summary()}"
        ) from None
    assert second.terminate() == 0
    assert third.terminate() == 0

    # Then every valid event was applied exactly once, each key's events in input order
    applied = ledger.state.applied
    assert {i: n for i, n in applied.items() if n != 1} == {}
    assert set(applied) == {i for _, _, i in valid}
    for k in range(KEYS):
        assert ledger.state.order[f"{CREDITOR}:INV-{k}"] == [i for _, _, i in valid if i.startswith(f"k{k}-")]
    # and every input has exactly one distinct terminal outcome
    statuses = outcome_statuses(outcomes.poll())
    assert all(statuses[i] == {"succeeded"} for _, _, i in valid)
    assert all(statuses[i] == {"rejected"} for _, _, i in rejected)
    positions = unreadable_ids(outcomes.records)
    assert all(statuses[i] == {"dead_lettered"} for i in poison_with_envelope | positions)
    assert set(statuses) == expected | poison_with_envelope | positions
    # and every poison record is in the dead-letter topic, with the contract's headers
    dead = TopicWatcher(bootstrap, topic + ".dlq")
    watchers.append(dead)
    letters = dead.wait_until(lambda records: len({r.value for r in records}) >= len(poison), 30, "dead letters")
    assert {r.value for r in letters} == {value for _, value, _ in poison}
    infos = [read_dead_letter(r.headers) for r in letters]
    assert {i.error_class for i in infos} == {"ContractError"}
    assert all(i.original_topic == topic and i.use_case == "apply_entry" for i in infos)
    not_json = next(r for r in letters if r.value == b"not json")
    assert ("origin", b"erp") in not_json.headers
    # and the outcomes of the records without an envelope name their dead letters' positions
    assert positions <= {f"{i.original_partition}:{i.original_offset}" for i in infos}


def test_reconcile_window_after_sigkill_applies_each_event_once(bootstrap, make_name, ledger, workers, watchers):
    # Given a use case that looks up only inside the reconcile window (not a registration), and a
    # ledger that answers late or drops the connection after applying
    topic = make_topic(bootstrap, make_name("rt-window"), partitions=2)
    outcomes_topic = make_topic(bootstrap, make_name("rt-window-out"))
    valid = [event(k, s) for s in range(40) for k in range(20)]
    ledger.state.faults = Faults(late_rate=0.03, drop_rate=0.03, late_seconds=0.6)
    produce(bootstrap, topic, [(key, value, []) for key, value, _ in valid])
    env = {
        "RUNTIME_TEST_OUTCOMES": outcomes_topic,
        "RUNTIME_TEST_RECONCILE": "window",
        "RUNTIME_TEST_TIMEOUT": "0.4",
        "WORKER_PARTITION_BUFFER": "50",
        "WORKER_COMMIT_INTERVAL_SECONDS": "1",
    }
    group = make_name("g") + "."
    first = WorkerProcess(bootstrap, topic, ledger.url, group, **env)
    workers.append(first.start())
    first.wait_for(lambda: sum(ledger.state.applied.values()) >= 150, 60, "applying")
    # When it is killed with applied-but-uncommitted records, and a new worker takes over
    first.kill()
    lookups_before = ledger.state.lookups
    second = WorkerProcess(bootstrap, topic, ledger.url, group, **env)
    workers.append(second.start())
    outcomes = TopicWatcher(bootstrap, outcomes_topic)
    watchers.append(outcomes)
    ids = {i for _, _, i in valid}
    outcomes.wait_until(lambda records: ids <= set(outcome_statuses(records)), 90, "every outcome")
    assert second.terminate() == 0
    # Then nothing was applied twice, and the take-over looked up at most the window per partition
    assert {i: n for i, n in ledger.state.applied.items() if n != 1} == {}
    assert set(ledger.state.applied) == ids
    takeover_lookups = ledger.state.lookups - lookups_before
    assert takeover_lookups > 0
    assert takeover_lookups <= 2 * 50 + 100  # the window of both partitions plus retried writes
