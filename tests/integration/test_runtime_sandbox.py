"""End to end with the real use cases and the Amili sandbox: invoices, then a payment for each, upstream
duplicates, and a sandbox that fails writes, or applies them and drops the connection."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from schemas import jsonio
from schemas.catalog import USE_CASES
from schemas.deadletter import read_dead_letter
from tests.fixtures.claims import invoice, payment
from tests.fixtures.runtime import TopicWatcher, WorkerProcess, outcome_statuses, produce
from workers.runtime.broker import LocalBroker
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration

INVOICES = 24


def test_invoices_and_payments_through_sandbox_faults_are_applied_once_in_order(
    bootstrap, make_name, ledger, sandbox, workers, watchers
):
    # Given 24 invoices, each followed on its key by a payment, with 6 upstream duplicates
    creds = sandbox.credentials
    creditor, account = creds.creditor_id, creds.account_id
    numbers = [f"E2E-{uuid.uuid4().hex[:6]}-{i}" for i in range(INVOICES)]
    invoices = [invoice(creditor, account, n) for n in numbers]
    payments = [payment(creditor, account, n) for n in numbers]
    invoice_topic = USE_CASES["register_invoice"].topic
    payment_topic = USE_CASES["register_payment"].topic

    def record(body: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        data = body["data"]
        number = data["invoice_number"] if "invoice_number" in data else data["case"]["invoice_number"]
        return f"{creditor}:{number}".encode(), jsonio.dumps(body), []

    # and a sandbox that fails 15% of writes with 503 and drops the connection after 15% of them
    sandbox.set_faults(
        {"path": "/invoice--registrations", "method": "POST", "error_rate": 0.15, "drop_after_write_rate": 0.15},
        {"path": "/creditor--payments", "method": "POST", "error_rate": 0.15, "drop_after_write_rate": 0.15},
        seed=3,
    )
    produce(bootstrap, invoice_topic, [record(b) for b in invoices + invoices[:6]])
    env = {
        "AMILI_BASE_URL": sandbox.base_url,
        "AMILI_APP_URL": "https://app.sandbox.test",
        "AMILI_API_CODE": creds.account_api_code,
        "AMILI_PRIVATE_KEY_FILE": str(creds.account_key_path),
        "AMILI_READ_TIMEOUT": "5",
    }
    # The test-only use case is registered but not run: its topic must be one no stream reads.
    worker = WorkerProcess(bootstrap, make_name("unused"), ledger.url, make_name("g") + ".", **env)
    worker.use_cases = ("register_invoice", "register_payment")
    workers.append(worker.start())
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)
    invoice_ids = {b["id"] for b in invoices}
    outcomes.wait_until(lambda records: invoice_ids <= set(outcome_statuses(records)), 90, "invoice outcomes")
    # When the payments follow
    produce(bootstrap, payment_topic, [record(b) for b in payments])
    payment_ids = {b["id"] for b in payments}
    outcomes.wait_until(lambda records: payment_ids <= set(outcome_statuses(records)), 90, "payment outcomes")
    assert worker.metric("amili_fleet_retries_total") > 0  # the faults did bite
    assert worker.metric("amili_fleet_amili_request_duration_seconds_count", endpoint="/invoice--registrations") > 0
    assert worker.terminate() == 0

    # Then every invoice and payment succeeded, with a deep link, and exactly one outcome status each
    statuses = outcome_statuses(outcomes.records)
    assert all(statuses[i] == {"succeeded"} for i in invoice_ids | payment_ids), {
        i: statuses[i] for i in invoice_ids | payment_ids if statuses[i] != {"succeeded"}
    }
    mine = [orjson.loads(r.value)["data"] for r in outcomes.records]
    assert all(d["case_url"] for d in mine if d["source_event"]["id"] in invoice_ids)
    # and the sandbox created each invoice and each payment exactly once
    book = sandbox.ledger(creditor=creditor)
    assert book["duplicates"] == {}
    kinds: dict[str, int] = {}
    for entry in book["entries"]:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    payment_kind = next(kind for kind in kinds if "payment" in kind)
    assert (kinds["invoice_registration"], kinds[payment_kind]) == (INVOICES, INVOICES), kinds
    # and each payment landed on its own invoice's case, after the registration
    first_seen: dict[str, str] = {}
    for entry in book["entries"]:
        if entry["case"] and entry["kind"] in ("invoice_registration", payment_kind):
            first_seen.setdefault(entry["case"], entry["kind"])
    assert len(first_seen) == INVOICES
    assert set(first_seen.values()) == {"invoice_registration"}


def test_thousands_of_events_through_faults_sigkill_and_rebalance_reach_amili_once_in_order(
    make_name, ledger, sandbox, workers, watchers
):
    # The use cases consume the catalog's topic names, so this test gets a broker of its own: no other
    # test's records can reach its workers.
    with LocalBroker() as own:
        _thousands_through_faults(own.bootstrap, make_name, ledger, sandbox, workers, watchers)


def _thousands_through_faults(bootstrap, make_name, ledger, sandbox, workers, watchers):
    # Given 900 invoices (with 45 upstream duplicates and 3 poison records) on 6 partitions, then a
    # payment for each: 1,848 records, and a sandbox that fails, delays past the client's timeout, or
    # applies a write and drops the connection
    creds = sandbox.credentials
    creditor, account = creds.creditor_id, creds.account_id
    count = 900
    numbers = [f"K-{uuid.uuid4().hex[:6]}-{i}" for i in range(count)]
    invoices = [invoice(creditor, account, n) for n in numbers]
    payments = [payment(creditor, account, n) for n in numbers]
    invoice_topic = make_topic_named(bootstrap, USE_CASES["register_invoice"].topic)
    payment_topic = make_topic_named(bootstrap, USE_CASES["register_payment"].topic)

    def record(body: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        data = body["data"]
        number = data["invoice_number"] if "invoice_number" in data else data["case"]["invoice_number"]
        return f"{creditor}:{number}".encode(), jsonio.dumps(body), []

    poison: list[tuple[bytes, bytes, list[tuple[str, bytes]]]] = [
        (f"{creditor}:P-1".encode(), b"not json at all", []),
        (f"{creditor}:P-2".encode(), b'{"specversion": "1.0"}', []),
        (b"no-colon", jsonio.dumps(invoice(creditor, account, "P-3")), []),
    ]
    stream: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = [
        *(record(b) for b in invoices),
        *(record(b) for b in invoices[::20]),
        *poison,
    ]
    sandbox.set_faults(
        {"path": "/invoice--registrations", "method": "POST", "error_rate": 0.03, "drop_after_write_rate": 0.03},
        {"path": "/creditor--payments", "method": "POST", "error_rate": 0.03, "drop_after_write_rate": 0.03},
        {"path": "*", "method": "*", "latency": {"distribution": "lognormal", "median_ms": 40, "sigma": 0.8}},
        seed=11,
    )
    produce(bootstrap, invoice_topic, stream)
    env = {
        "AMILI_BASE_URL": sandbox.base_url,
        "AMILI_API_CODE": creds.account_api_code,
        "AMILI_PRIVATE_KEY_FILE": str(creds.account_key_path),
        "AMILI_READ_TIMEOUT": "0.3",  # the latency's long tail makes some writes time out after they landed
        "WORKER_MAX_IN_FLIGHT": "6",  # slow enough that the kill and the rebalance come mid-stream
        "WORKER_ASSIGNMENT_STRATEGY": "cooperative-sticky",
    }
    group = make_name("g") + "."

    def start_worker() -> WorkerProcess:
        worker = WorkerProcess(bootstrap, make_name("unused"), ledger.url, group, **env)
        worker.use_cases = ("register_invoice", "register_payment")
        workers.append(worker.start())
        return worker

    def registered() -> int:
        return sum(1 for e in sandbox.ledger(creditor=creditor, kind="invoice_registration")["entries"])

    # When the first worker is SIGKILLed mid-stream, restarted, and joined by a second one
    first = start_worker()
    first.wait_for(lambda: registered() >= 150, 90, "registering")
    first.kill()
    second = start_worker()
    second.wait_for(lambda: registered() >= 250, 90, "registering again")
    third = start_worker()
    third.wait_for(lambda: third.metric("amili_fleet_assigned_partitions") > 0, 60, "rebalanced")
    assert registered() < count  # the rebalance came mid-stream
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)
    invoice_ids = {b["id"] for b in invoices}
    outcomes.wait_until(lambda records: invoice_ids <= set(outcome_statuses(records)), 180, "invoice outcomes")
    produce(bootstrap, payment_topic, [record(b) for b in payments])
    payment_ids = {b["id"] for b in payments}
    outcomes.wait_until(lambda records: payment_ids <= set(outcome_statuses(records)), 180, "payment outcomes")
    assert second.terminate() == 0
    assert third.terminate() == 0

    # Then every valid input has exactly one distinct terminal outcome: succeeded
    statuses = outcome_statuses(outcomes.poll())
    assert {i: s for i in invoice_ids | payment_ids if (s := statuses[i]) != {"succeeded"}} == {}
    # and Amili holds each invoice and each payment exactly once, each payment after its invoice
    book = sandbox.ledger(creditor=creditor)
    assert book["duplicates"] == {}
    kinds = [e["kind"] for e in book["entries"]]
    assert (kinds.count("invoice_registration"), kinds.count("payment")) == (count, count)
    order: dict[str, list[str]] = {}
    for entry in book["entries"]:
        if entry["case"] and entry["kind"] in ("invoice_registration", "payment"):
            order.setdefault(entry["case"], []).append(entry["kind"])
    assert set(map(tuple, order.values())) == {("invoice_registration", "payment")}
    # and every poison record is in the dead-letter topic with the contract's headers
    dead = TopicWatcher(bootstrap, invoice_topic + ".dlq")
    watchers.append(dead)
    letters = dead.wait_until(lambda records: len(records) >= len(poison), 30, "dead letters")
    assert {r.value for r in letters} == {value for _, value, _ in poison}
    assert {read_dead_letter(r.headers).use_case for r in letters} == {"register_invoice"}


def make_topic_named(bootstrap: str, name: str) -> str:
    """The catalog topic, with 6 partitions."""
    ensure_topics(KafkaSettings(bootstrap_servers=bootstrap), {name: 6, name + ".dlq": 1})
    return name
