"""How Amili's refusals are answered, end to end (broker, worker process, sandbox):

- 403 refuses one record (its creditor is outside our access): dead-lettered at once, never retried,
  never opening the circuit breaker, while other records flow;
- 405 on an endpoint means our request is wrong: dead-lettered (redrivable), never a final `rejected`;
- Amili refusing an undocumented field (`creditor_reference` on cancellations): sent again without it,
  and found by its case when an answer is lost.

Cost: one broker and one worker (~4 s to join), ~8 s of traffic and one `dlq redrive` subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from decimal import Decimal

import pytest

from schemas.common import CaseRef, CreditorRef
from schemas.deadletter import read_dead_letter
from tests.fixtures.runtime import ROOT
from workers.demo.traffic import Traffic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fleet(fleet_run):
    # A small breaker window, so that today's "403 is an outage" would open it within this test.
    return fleet_run(
        ("register_invoice", "register_payment", "cancel_case"),
        WORKER_BREAKER_WINDOW="10",
        WORKER_BREAKER_MIN_CALLS="5",
    )


@pytest.fixture
def traffic(sandbox):
    return Traffic({sandbox.credentials.creditor_id: sandbox.credentials.account_id}, seed=53)


def test_403_dead_letters_that_record_at_once_and_others_flow(fleet, sandbox, traffic):
    # Given payments for a creditor of another tenant (Amili answers 403) and one for our own
    foreign = CreditorRef(id=sandbox.credentials.other_creditor_id, account=sandbox.credentials.other_account_id)
    refused = [
        fleet.publish(
            "register_payment",
            traffic.payment(foreign, f"F-{i}", Decimal("10.00")).model_copy(
                update={"case": CaseRef(invoice_number=f"F-{i}", case_id=f"{i:024x}")}
            ),
        )
        for i in range(8)
    ]
    invoice = traffic.invoice_issued()
    fleet.send("register_invoice", invoice)
    ours = fleet.publish("register_payment", traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("5.00")))
    outcomes = fleet.wait(*refused, ours)
    # Then each refused one is dead-lettered after one attempt, and ours succeeded
    assert {outcomes[r]["status"] for r in refused} == {"dead_lettered"}
    assert outcomes[ours]["status"] == "succeeded"
    letters = [read_dead_letter(r.headers) for r in fleet.dead_letters("register_payment", len(refused))]
    assert {(i.error_class, i.attempts, i.http_status) for i in letters} == {("AccessDenied", 1, 403)}
    # and nothing was retried, and the breaker stayed closed
    assert fleet.worker.metric("amili_fleet_retries_total", use_case="register_payment") == 0
    assert fleet.worker.metric("amili_fleet_circuit_state") == 0


def test_405_on_an_endpoint_is_a_dead_letter_that_a_redrive_fixes(fleet, sandbox, traffic):
    invoice = traffic.invoice_issued()
    case_id = fleet.send("register_invoice", invoice)["amili_ids"]["case"]
    sandbox.set_faults({"path": "/creditor--payments", "method": "POST", "error_rate": 1, "error_status": 405})
    payment = traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("20.00"))
    identity = fleet.publish("register_payment", payment)
    assert fleet.wait(identity)[identity]["status"] == "dead_lettered"
    letters = fleet.dead_letters("register_payment", 1)
    mine = [read_dead_letter(r.headers) for r in letters if identity[1].encode() in (r.value or b"")]
    assert [(i.error_class, i.attempts) for i in mine] == [("EndpointError", 1)]
    # When the endpoint works again and the dead letter is redriven
    sandbox.clear_faults()
    done = subprocess.run(
        [sys.executable, "-m", "workers.cli", "dlq", "redrive", "--error-class", "EndpointError", "--rate", "100"],
        env=fleet.worker.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    # Then the payment lands, once
    fleet.outcomes.wait_until(
        lambda _: fleet.by_identity()[identity]["status"] == "succeeded", 30, "the redriven payment's outcome"
    )
    assert len(sandbox.ledger(case=case_id, kind="payment")["entries"]) == 1


def test_amili_refusing_creditor_reference_on_cancellations_still_cancels_each_case_once(fleet, sandbox, traffic):
    sandbox.control.put(
        "/_sandbox/refused-fields",
        json={"rules": [{"path": "/creditor--cancellations", "field": "creditor_reference"}]},
    ).raise_for_status()
    first, second = traffic.invoice_issued(), traffic.invoice_issued()
    cases = [fleet.send("register_invoice", i)["amili_ids"]["case"] for i in (first, second)]
    cancelled = fleet.send("cancel_case", traffic.cancellation(first.creditor, first.invoice_number))
    assert (cancelled["status"], cancelled["amili_status"]["status"]) == ("succeeded", "completed")
    # A cancellation whose answer is lost is found again by its case, not registered twice
    sandbox.set_faults({"path": "/creditor--cancellations", "method": "POST", "drop_after_write_rate": 1, "times": 1})
    lost = fleet.send(
        "cancel_case", traffic.cancellation(second.creditor, second.invoice_number), event_id=str(uuid.uuid4())
    )
    assert (lost["status"], lost["detail"]["reconciled"]) == ("succeeded", True)
    book = sandbox.ledger(kind="cancellation")
    assert book["counts"]["cancellation"] == {f"{first.creditor.id}:{case}": 1 for case in cases}
