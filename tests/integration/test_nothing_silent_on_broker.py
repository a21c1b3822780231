"""Nothing silent, end to end (broker, `amili-fleet run`, sandbox): bad input gets its outcome and its dead letter,
the partition moves on, and the worker's scrape shows every metric the alerts and the dashboard read.

- a 2 MiB record (over the producer's 1 MiB request size) is dead-lettered with an excerpt, not retried forever;
- a record that is not JSON gets a `dead_lettered` outcome naming its topic, partition, offset and key;
- the records after them still succeed (the partition did not stall);
- every metric name in helm/amili-fleet/files/{alerts.yaml,dashboard.json} is in `/metrics`;
- a dead letter the broker refuses for good is not retried: the partition is stuck, in the metric and `/readyz`.

Cost: two brokers and workers (~4 s each to join), a few seconds of traffic.
"""

from __future__ import annotations

import json
import time

import orjson
import pytest
import yaml

from schemas.catalog import USE_CASES
from schemas.codec import encode_event, event_headers
from schemas.deadletter import VALUE_EXCERPT_BYTES, VALUE_TRUNCATED, read_dead_letter
from schemas.envelope import new_event
from tests.deploy.promql import EXTERNAL_METRICS, usage
from tests.deploy.rendering import CHART
from tests.fixtures.runtime import produce
from workers.demo.traffic import Traffic

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
TOPIC = USE_CASES["register_invoice"].topic


@pytest.fixture(scope="module")
def fleet(fleet_run):
    return fleet_run(("register_invoice", "export_closed_cases"), WORKER_POLL_INTERVAL_SECONDS="1")


@pytest.fixture
def traffic(sandbox):
    return Traffic({sandbox.credentials.creditor_id: sandbox.credentials.account_id}, seed=53)


def test_oversized_and_unreadable_records_get_a_dead_letter_and_an_outcome_and_the_partition_moves_on(fleet, traffic):
    big_event = traffic.invoice_issued()
    key = big_event.aggregate_key().encode()
    envelope = new_event(USE_CASES["register_invoice"].event_type, big_event, source="urn:test:big")
    oversized = orjson.loads(encode_event(envelope))
    oversized["data"]["padding"] = "x" * (2 * MiB)
    oversized_value = orjson.dumps(oversized)
    # Produced as a producer configured for big records would (the broker takes them; our worker's producer not).
    produce(
        fleet.broker.bootstrap,
        TOPIC,
        [(key, oversized_value, event_headers(envelope)), (key, b"\x00 not json", [("trace", b"t-1")])],
        max_request_size=4 * MiB,
    )
    after = fleet.publish("register_invoice", traffic.invoice_issued())  # same topic, after both

    letters = fleet.dead_letters("register_invoice", expect=2)
    by_offset = {read_dead_letter(r.headers).original_offset: r for r in letters}
    big, unreadable = (by_offset[o] for o in sorted(by_offset))
    assert big.value == oversized_value[:VALUE_EXCERPT_BYTES]
    assert (VALUE_TRUNCATED, str(len(oversized_value)).encode()) in big.headers
    assert read_dead_letter(big.headers).error_class == "ContractError"
    assert unreadable.value == b"\x00 not json"

    assert fleet.wait(after)[after]["status"] == "succeeded"  # the partition did not stall behind them
    # Both get a dead_lettered outcome named by their position (the contract reads no envelope over 1 MiB).
    wanted = [
        {"topic": TOPIC, "partition": i.original_partition, "offset": i.original_offset, "key": key.decode()}
        for i in (read_dead_letter(big.headers), read_dead_letter(unreadable.headers))
    ]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        named = {orjson.dumps(d["record"]): d for d in fleet.by_identity().values() if d.get("record")}
        if all(orjson.dumps(w) in named for w in wanted):
            break
        fleet.outcomes.poll(0.3)
    else:
        raise AssertionError(f"no outcome for the records at {wanted}")
    assert {named[orjson.dumps(w)]["status"] for w in wanted} == {"dead_lettered"}
    assert fleet.worker.metric("amili_fleet_stuck_partitions") == 0
    assert fleet.worker.get("/readyz").status_code == 200


def test_every_metric_the_alerts_and_the_dashboard_read_is_in_a_running_workers_scrape(fleet, traffic):
    fleet.send("register_invoice", traffic.invoice_issued())  # one record through: histograms have series
    fleet.worker.wait_for(
        lambda: fleet.worker.metric("amili_fleet_poller_runs_total", result="succeeded") > 0, 30, "a poller run"
    )
    fleet.worker.wait_for(
        lambda: any(name == "amili_fleet_consumer_lag_records" for name, _ in fleet.worker.metrics()), 30, "lag"
    )
    scraped = {name for name, _ in fleet.worker.metrics()}
    rules = yaml.safe_load((CHART / "files" / "alerts.yaml").read_text())
    dashboard = json.loads((CHART / "files" / "dashboard.json").read_text())
    expressions = [rule["expr"] for group in rules["groups"] for rule in group["rules"]]
    expressions += [t["expr"].replace("$__rate_interval", "5m") for p in dashboard["panels"] for t in p["targets"]]
    used = {metric for e in expressions for metric, _ in usage(e).selectors} - set(EXTERNAL_METRICS)
    assert used - scraped == set()
    # The poller's last success is a real time, and a fresh series of dead letters exists at 0.
    assert fleet.worker.metric("amili_fleet_poll_last_success_timestamp_seconds") > time.time() - 120
    assert (
        "amili_fleet_dead_letters_total",
        (("error_class", "AccessDenied"), ("use_case", "register_invoice")),
    ) in fleet.worker.metrics()


@pytest.fixture(scope="module")
def small_requests(fleet_run):
    """A worker whose producer takes at most 2000 bytes a request: even a cut dead letter (4 KiB) is refused."""
    return fleet_run(("register_invoice",), WORKER_PRODUCER_OVERRIDES='{"max_request_size": 2000}')


def test_a_dead_letter_the_broker_refuses_leaves_the_partition_visibly_stuck(small_requests):
    worker = small_requests.worker
    produce(small_requests.broker.bootstrap, TOPIC, [(b"c0ffee:INV-stuck", b"\x00" * 10_000, [])])
    worker.wait_for(lambda: worker.metric("amili_fleet_stuck_partitions") == 1, 30, "a stuck partition")
    ready = worker.get("/readyz")
    assert ready.status_code == 503
    assert f"at offset 0: {TOPIC}.dlq refuses it (MessageSizeTooLargeError)" in ready.text
    assert worker.metric("amili_fleet_publish_failures_total", error_class="MessageSizeTooLargeError") == 1
    assert worker.get("/healthz").status_code == 200  # alive: a restart would change nothing
    # Nothing claims it was dead-lettered: its outcome waits for the dead letter.
    assert not [r for r in small_requests.outcomes.poll(0.5) if b"unreadable" in r.value]
