"""A claim's events in order across event types, on the real broker with the real use cases and the sandbox:
the claim stream under faults and a SIGKILL, the same race on the per-type topics (the bounded wait), the
outbox's binary-mode records, and types the claim stream does not carry."""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson
import pytest

from schemas.catalog import CLAIMS_TOPIC, USE_CASES
from schemas.deadletter import read_dead_letter
from schemas.samples import example_json, example_key
from tests.fixtures.claims import (
    FOLLOW_UPS,
    claim,
    make_claim_topics,
    outbox,
    payment,
    sandbox_worker,
    structured,
    topic_for,
)
from tests.fixtures.runtime import TopicWatcher, outcome_statuses, produce

pytestmark = pytest.mark.integration

CLAIMS = 1000
KINDS = ("invoice_registration", "payment", "crediting")
#: 5xx before the write, and "apply the write, then drop the connection", on every write of a claim.
FAULTS = [
    {"path": path, "method": "POST", "error_rate": 0.03, "drop_after_write_rate": 0.03}
    for path in ("/invoice--registrations", "/creditor--payments", "/creditor--creditings")
]


def _claims(sandbox: Any, count: int) -> list[list[dict[str, Any]]]:
    creds = sandbox.credentials
    run = uuid.uuid4().hex[:6]
    return [claim(creds.creditor_id, creds.account_id, f"C-{run}-{i}") for i in range(count)]


def _writes_by_case(sandbox: Any) -> dict[str, list[str]]:
    """The sandbox ledger: each case's invoice registration, payments and credits, in the order applied."""
    book = sandbox.ledger(creditor=sandbox.credentials.creditor_id)
    assert book["duplicates"] == {}
    order: dict[str, list[str]] = {}
    for entry in book["entries"]:
        if entry["case"] and entry["kind"] in KINDS:
            order.setdefault(entry["case"], []).append(entry["kind"])
    return order


def _registered(sandbox: Any) -> int:
    return int(sandbox.ledger(creditor=sandbox.credentials.creditor_id, kind="invoice_registration")["total"])


def _outcomes(watcher: TopicWatcher, ids: set[str]) -> dict[str, dict[str, Any]]:
    """Event id -> its outcome's data, for the given events."""
    out = {}
    for record in watcher.records:
        data = orjson.loads(record.value)["data"]
        if data["source_event"]["id"] in ids:
            out[data["source_event"]["id"]] = data
    return out


def test_claim_stream_keeps_each_claims_order_through_faults_and_a_sigkill(
    bootstrap, make_name, sandbox, workers, watchers
):
    # Given 1,000 claims on billing.claims, each invoice followed at once by a payment and a credit (3,000
    # records on 6 partitions), and a sandbox that fails writes or applies them and drops the connection
    prefix = make_name("claims") + "."
    make_claim_topics(bootstrap, prefix)
    claims = _claims(sandbox, CLAIMS)
    sandbox.set_faults(*FAULTS, seed=5)
    produce(bootstrap, prefix + CLAIMS_TOPIC, [structured(body) for events in claims for body in events])
    group = make_name("g") + "."

    def start() -> Any:
        worker = sandbox_worker(bootstrap, sandbox, group, prefix, "claims")
        workers.append(worker.start())
        return worker

    # When the worker is SIGKILLed mid-stream and another one takes over
    first = start()
    first.wait_for(lambda: first.metric("amili_fleet_events_finished_total") >= 750, 90, "handling")
    first.kill()
    second = start()
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)
    second.wait_for(lambda: second.metric("amili_fleet_assigned_partitions") > 0, 30, "assigned")
    assert _registered(sandbox) < CLAIMS  # the kill came mid-stream
    ids = {body["id"] for events in claims for body in events}
    outcomes.wait_until(lambda records: ids <= set(outcome_statuses(records)), 240, "every outcome")
    assert second.metric("amili_fleet_retries_total") > 0  # the faults did bite
    # The stream's order did the work: no follow-up ever had to wait for its case.
    assert second.metric("amili_fleet_case_waits_total", event="started") == 0
    assert second.terminate() == 0

    # Then nothing was rejected: every record succeeded, once
    statuses = outcome_statuses(outcomes.records)
    assert {i: s for i in ids if (s := statuses[i]) != {"succeeded"}} == {}
    # and in Amili every claim's writes are there once each, in input order: registration, payment, credit
    order = _writes_by_case(sandbox)
    assert len(order) == CLAIMS
    assert {tuple(kinds) for kinds in order.values()} == {KINDS}


def test_per_type_topics_race_ends_with_nothing_rejected_thanks_to_the_wait(
    bootstrap, make_name, sandbox, workers, watchers
):
    # Given the same race on the per-type topics: each invoice published with its payment and credit, all
    # consumed at once by three groups, slower invoice registrations and the same faults
    prefix = make_name("types") + "."
    make_claim_topics(bootstrap, prefix)
    claims = _claims(sandbox, CLAIMS)
    slow = {"path": "/invoice--registrations", "method": "POST", "latency": {"distribution": "fixed", "ms": 20}}
    sandbox.set_faults(slow, *FAULTS, seed=6)
    for index, use_case in enumerate(("register_invoice", *FOLLOW_UPS)):
        produce(bootstrap, topic_for(prefix, use_case), [structured(events[index]) for events in claims])
    # The default wait (minutes) would do; this one only keeps a broken wait from hanging the test.
    env = {"WORKER_AWAIT_CASE_SECONDS": "120", "WORKER_RETRY_INITIAL_SECONDS": "0.2", "WORKER_RETRY_MAX_SECONDS": "2"}
    worker = sandbox_worker(bootstrap, sandbox, make_name("g") + ".", prefix, "register_invoice", *FOLLOW_UPS, **env)
    workers.append(worker.start())
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)

    # When every claim has its outcomes
    ids = {body["id"] for events in claims for body in events}
    outcomes.wait_until(lambda records: ids <= set(outcome_statuses(records)), 240, "every claim's outcome")
    waits = {e: worker.metric("amili_fleet_case_waits_total", event=e) for e in ("started", "found", "gave_up")}
    assert worker.metric("amili_fleet_awaiting_case") == 0
    assert worker.terminate() == 0

    # Then the follow-ups that overtook their invoice waited for its case, and found it
    assert waits["started"] > CLAIMS // 10, waits  # the race did happen
    assert waits == {"started": waits["started"], "found": waits["started"], "gave_up": 0}
    # and nothing was rejected; Amili holds every write once, each claim's registration first
    statuses = outcome_statuses(outcomes.records)
    assert {i: s for i in ids if (s := statuses[i]) != {"succeeded"}} == {}
    order = _writes_by_case(sandbox)
    assert len(order) == CLAIMS
    assert {kinds[0] for kinds in order.values()} == {"invoice_registration"}
    assert {tuple(sorted(kinds)) for kinds in order.values()} == {tuple(sorted(KINDS))}


def test_a_payment_for_a_claim_that_never_comes_is_rejected_after_the_wait(
    bootstrap, make_name, sandbox, workers, watchers
):
    # Given a payment for an invoice Amili never gets, and a short wait
    wait = 3.0
    prefix = make_name("orphan") + "."
    make_claim_topics(bootstrap, prefix)
    creds = sandbox.credentials
    orphan = payment(creds.creditor_id, creds.account_id, f"NEVER-{uuid.uuid4().hex[:6]}")
    worker = sandbox_worker(
        bootstrap, sandbox, make_name("g") + ".", prefix, "register_payment", WORKER_AWAIT_CASE_SECONDS=str(wait)
    )
    workers.append(worker.start())
    worker.wait_ready()
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)
    published = time.time()
    produce(bootstrap, topic_for(prefix, "register_payment"), [structured(orphan)])

    # When its outcome comes
    outcomes.wait_until(lambda records: orphan["id"] in outcome_statuses(records), 30, "the orphan's outcome")
    looks = worker.metric("amili_fleet_amili_request_duration_seconds_count", endpoint="/cases")
    waits = {e: worker.metric("amili_fleet_case_waits_total", event=e) for e in ("started", "found", "gave_up")}
    assert worker.terminate() == 0

    # Then it was rejected with the field error, only after the wait, having looked more than once
    verdict = _outcomes(outcomes, {orphan["id"]})[orphan["id"]]
    assert verdict["status"] == "rejected"
    assert [(e["field"], e["rule"]) for e in verdict["errors"]] == [("data.case.invoice_number", "rejected")]
    answered = next(r.timestamp for r in outcomes.records if orjson.loads(r.value)["causationid"] == orphan["id"])
    assert answered / 1000 - published >= wait
    assert looks > 2
    assert waits == {"started": 1, "found": 0, "gave_up": 1}


def test_outbox_records_in_binary_mode_are_handled_in_order(bootstrap, make_name, sandbox, workers, watchers):
    # Given claims written as Debezium's outbox event router writes them (docs/producers.md): key = the
    # aggregate id, the payload as the value, the event attributes in ce_* headers
    prefix = make_name("outbox") + "."
    make_claim_topics(bootstrap, prefix)
    claims = _claims(sandbox, 30)
    produce(bootstrap, prefix + CLAIMS_TOPIC, [outbox(body) for events in claims for body in events])
    worker = sandbox_worker(bootstrap, sandbox, make_name("g") + ".", prefix, "claims")
    workers.append(worker.start())
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)
    ids = {body["id"]: body["type"] for events in claims for body in events}
    outcomes.wait_until(lambda records: set(ids) <= set(outcome_statuses(records)), 60, "outcomes")
    assert worker.terminate() == 0

    # Then each went to its use case and succeeded, in each claim's order
    answered = _outcomes(outcomes, set(ids))
    by_type = {u.event_type: u.name for u in USE_CASES.values()}
    assert {i: (d["status"], d["use_case"]) for i, d in answered.items()} == {
        i: ("succeeded", by_type[t]) for i, t in ids.items()
    }
    assert {tuple(kinds) for kinds in _writes_by_case(sandbox).values()} == {KINDS}


def test_claim_stream_dead_letters_types_it_does_not_carry(bootstrap, make_name, sandbox, workers, watchers):
    # Given, on billing.claims, an unknown event type, a valid user invitation (another stream's type, in
    # binary mode), then a valid invoice on the same key as the unknown one
    prefix = make_name("dispatch") + "."
    make_claim_topics(bootstrap, prefix)
    ((invoice, _, _),) = _claims(sandbox, 1)
    unknown = {**invoice, "id": str(uuid.uuid4()), "type": "se.amili-fleet.billing.invoice-teleported.v1"}
    invite_type = USE_CASES["invite_user"].event_type
    invitation = {**example_json(invite_type), "id": str(uuid.uuid4())}
    records = [structured(unknown), outbox(invitation, key=example_key(invite_type).encode()), structured(invoice)]
    produce(bootstrap, prefix + CLAIMS_TOPIC, records)
    worker = sandbox_worker(bootstrap, sandbox, make_name("g") + ".", prefix, "claims")
    workers.append(worker.start())
    dead = TopicWatcher(bootstrap, prefix + CLAIMS_TOPIC + ".dlq")
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.extend([dead, outcomes])
    letters = dead.wait_until(lambda r: len(r) >= 2, 60, "dead letters")
    answered = {unknown["id"], invitation["id"], invoice["id"]}
    outcomes.wait_until(lambda r: answered <= set(outcome_statuses(r)), 60, "the three outcomes")
    assert worker.terminate() == 0

    # Then both were dead-lettered at once, untouched, under the stream's name, with the reason
    infos = {r.value: read_dead_letter(r.headers) for r in letters}
    assert set(infos) == {records[0][1], records[1][1]}
    assert {(i.use_case, i.error_class, i.attempts) for i in infos.values()} == {("claims", "ContractError", 0)}
    reasons = _outcomes(outcomes, {unknown["id"], invitation["id"]})
    assert [(e["field"], e["rule"]) for e in reasons[unknown["id"]]["errors"]] == [("type", "unknown_type")]
    (wrong,) = reasons[invitation["id"]]["errors"]
    assert (wrong["field"], wrong["rule"]) == ("ce_type", "wrong_stream")
    assert "it is for invite_user" in wrong["message"]
    assert {d["status"] for d in reasons.values()} == {"dead_lettered"}
    # and nothing reached Amili for them, while the invoice after them succeeded
    assert _outcomes(outcomes, {invoice["id"]})[invoice["id"]]["status"] == "succeeded"
    assert _registered(sandbox) == 1
