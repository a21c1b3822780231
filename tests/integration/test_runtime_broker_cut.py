"""A broker cut (every connection dropped for a while) is survived without loss or duplicates."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.fixtures.runtime import TopicWatcher, WorkerProcess, event, make_topic, outcome_statuses, produce
from tests.fixtures.tcp_proxy import TcpProxy
from workers.runtime.broker import find_tansu, kafka_answers
from workers.runtime.ports import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def proxied_bootstrap() -> Iterator[tuple[str, TcpProxy]]:
    """A tansu that advertises the proxy's port, so every client connection goes through the proxy."""
    broker_port, proxy_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            str(find_tansu()),
            "broker",
            "--listener-url",
            f"tcp://127.0.0.1:{broker_port}",
            "--advertised-listener-url",
            f"tcp://127.0.0.1:{proxy_port}",
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        with TcpProxy("127.0.0.1", broker_port, proxy_port) as proxy:
            bootstrap = f"127.0.0.1:{proxy_port}"
            deadline = time.monotonic() + 20
            while not kafka_answers(bootstrap):
                assert time.monotonic() < deadline, "proxied broker did not answer"
                time.sleep(0.1)
            yield bootstrap, proxy
    finally:
        process.terminate()
        process.wait(10)


def test_worker_recovers_from_a_broker_cut_without_loss_or_duplicates(
    proxied_bootstrap, make_name, ledger, workers, watchers
):
    bootstrap, proxy = proxied_bootstrap
    # Given 600 events being processed by a worker that reaches the broker through the proxy
    topic = make_topic(bootstrap, make_name("rt-cut"))
    outcomes_topic = make_topic(bootstrap, make_name("rt-cut-out"))
    valid = [event(k, s) for s in range(15) for k in range(40)]
    produce(bootstrap, topic, [(key, value, []) for key, value, _ in valid])
    worker = WorkerProcess(bootstrap, topic, ledger.url, make_name("g") + ".", RUNTIME_TEST_OUTCOMES=outcomes_topic)
    workers.append(worker.start())
    worker.wait_for(lambda: sum(ledger.state.applied.values()) >= 100, 30, "applying")
    # When every broker connection is dropped and refused for 4 seconds
    proxy.cut()
    time.sleep(4)  # the cut itself is the scenario: nothing to wait for but time
    proxy.restore()
    # Then everything completes: each event applied once and one distinct outcome each
    outcomes = TopicWatcher(bootstrap, outcomes_topic)
    watchers.append(outcomes)
    ids = {i for _, _, i in valid}
    outcomes.wait_until(lambda records: ids <= set(outcome_statuses(records)), 90, "every outcome")
    assert all(s == {"succeeded"} for s in outcome_statuses(outcomes.records).values())
    assert {i: n for i, n in ledger.state.applied.items() if n != 1} == {}
    assert set(ledger.state.applied) == ids
    assert worker.get("/healthz").status_code == 200
    assert worker.terminate() == 0
