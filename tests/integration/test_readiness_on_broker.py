"""Readiness means "can take work": on the real broker, a second member of a group whose topic has one
partition gets nothing and is ready all the same (a surge pod at replicas == partitions, so a rollout
finishes); when the first leaves, the second takes the partition over. Cost: about 15 s (two group joins)."""

from __future__ import annotations

import pytest

from tests.fixtures.runtime import WorkerProcess, event, make_topic, produce

pytestmark = pytest.mark.integration


def _assigned(worker: WorkerProcess) -> float:
    return worker.metric("amili_fleet_assigned_partitions")


def test_a_member_without_a_partition_is_ready_and_idle(bootstrap, make_name, ledger, workers):
    # Given a topic with one partition and two workers in one group
    topic = make_topic(bootstrap, make_name("rt-ready"), partitions=1)
    group = make_name("g") + "."
    first = WorkerProcess(bootstrap, topic, ledger.url, group)
    workers.append(first.start())
    first.wait_for(lambda: _assigned(first) == 1, 30, "assigned")
    second = WorkerProcess(bootstrap, topic, ledger.url, group)
    workers.append(second.start())
    # When the second has joined (its assignment arrived, empty or not) and the group has one owner
    second.wait_for(lambda: "partitions assigned" in second.log_path.read_text(), 30, "joined")
    first.wait_for(lambda: _assigned(first) + _assigned(second) == 1, 30, "one owner")
    idle, owner = (second, first) if _assigned(second) == 0 else (first, second)
    # Then both are ready; the one without a partition says it is idle
    ready = idle.get("/readyz")
    assert ready.status_code == 200
    assert ready.text.startswith("ok; idle, no partition assigned: apply_entry")
    assert owner.get("/readyz").text.strip() == "ok"

    # And when the owner leaves (a rollout's old pod), the idle one takes the partition and does the work
    produce(bootstrap, topic, [(key, value, []) for key, value, _ in [event(1, 0), event(2, 0)]])
    assert owner.terminate() == 0
    idle.wait_for(lambda: _assigned(idle) == 1, 30, "taking over")
    idle.wait_for(lambda: sum(ledger.state.applied.values()) >= 2, 30, "working")
    assert idle.get("/readyz").text.strip() == "ok"
    assert idle.terminate() == 0
