"""The three ways to integrate with Amili, end to end: events on the real broker, the fleet as a real
`amili-fleet run --all` process, Amili as the sandbox on loopback.

- full-service: invoices registered with Amili, which follows them up; then the creditor's actions.
- collection-only: claims handed over for reminders or debt collection, with the original invoice.
- partner: accounts and creditors provisioned, users invited.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from workers.demo.scenario import Planned
from workers.demo.stack import Stack, all_topics, demo_credentials
from workers.demo.tracker import Published, Tracker
from workers.demo.traffic import Traffic, record
from workers.runtime.topics import ensure_topics

pytestmark = pytest.mark.integration


class Fleet:
    def __init__(self, stack: Stack, tracker: Tracker, control: httpx.Client) -> None:
        self.stack, self.tracker, self.control = stack, tracker, control
        creds = demo_credentials()
        self.account = creds.account_id
        self.traffic = Traffic(creds.creditors, seed=23)

    def send(self, *planned: Any, timeout: float = 60) -> dict[str, dict[str, Any]]:
        """Publish records and wait for their outcomes; returns outcome data by event id."""
        from workers.demo.cli import _publish

        published: list[Published] = _publish(self.stack, [Planned(r, "valid") for r in planned])
        deadline = time.monotonic() + timeout
        while self.tracker.pending(published):
            assert time.monotonic() < deadline, f"no outcome for {self.tracker.pending(published)}"
            time.sleep(0.2)
        tally = self.tracker.snapshot()
        by_event = {data["source_event"]["id"]: data for data in tally.outcomes.values()}
        return {p.event_id: by_event[p.event_id] for p in published}

    def ledger(self, **filters: str) -> dict[str, Any]:
        return dict(self.control.get("/_sandbox/ledger", params=filters).json())


@pytest.fixture(scope="module")
def fleet(broker, sandbox_server) -> Iterator[Fleet]:
    httpx.post(f"{sandbox_server.base_url}/_sandbox/reset").raise_for_status()
    stack = Stack(broker=broker, sandbox=sandbox_server, poll_interval=1.0)
    ensure_topics(stack.kafka, all_topics())
    stack.start_fleet()
    tracker = Tracker(stack.kafka).start()
    try:
        with httpx.Client(base_url=sandbox_server.base_url, timeout=10) as control:
            yield Fleet(stack, tracker, control)
    finally:
        tracker.stop()
        stack.stop_fleet()


def test_full_service_invoice_then_the_creditors_actions(fleet):
    t = fleet.traffic
    invoice = t.invoice_issued()
    registered = record("register_invoice", invoice)
    outcome = fleet.send(registered)[registered.event_id]
    assert outcome["status"] == "succeeded"
    case_id = outcome["amili_ids"]["case"]
    assert outcome["case_url"].endswith(f"/open?resource=cases&id={case_id}")

    creditor, number = invoice.creditor, invoice.invoice_number
    follow_ups = [
        record("upload_document", t.document(creditor, number)),
        record("register_payment", t.payment(creditor, number, Decimal("100.00"))),
        record("credit_case", t.credit(creditor, number, Decimal("50.00"))),
        record("grant_respite", t.respite(creditor, number, days=14)),
        record("lookup_case_status", t.status_request(creditor, number)),
    ]
    # Each event type has its own topic, so order across types is the producer's to keep: it waits for
    # each outcome before sending the next event about the same claim (see README, "Ordering").
    outcomes: dict[str, dict[str, Any]] = {}
    for follow_up in follow_ups:
        outcomes.update(fleet.send(follow_up))
    assert {o["status"] for o in outcomes.values()} == {"succeeded"}
    assert {o["amili_ids"]["case"] for o in outcomes.values()} == {case_id}
    status = outcomes[follow_ups[-1].event_id]["detail"]
    total = invoice.total_amount_excluding_vat + invoice.total_vat
    assert Decimal(str(status["remaining_capital"])) == total - Decimal("150.00")

    cancelled = record("cancel_case", t.cancellation(creditor, number))
    assert fleet.send(cancelled)[cancelled.event_id]["amili_status"]["status"] == "completed"
    kinds = [entry["kind"] for entry in fleet.ledger(case=case_id)["entries"]]
    # The sandbox saw the actions in the order they were published for this claim.
    assert [k for k in kinds if k in ("media", "payment", "crediting", "respite", "cancellation")] == [
        "media",
        "payment",
        "crediting",
        "respite",
        "cancellation",
    ]

    # The closed-case poller reports the cancellation as a loss to write off.
    deadline = time.monotonic() + 30
    while fleet.tracker.snapshot().facts.get("export_closed_cases", 0) == 0:
        assert time.monotonic() < deadline, "the closed-case poller reported nothing"
        time.sleep(0.5)


def test_collection_only_claims_are_registered_once_with_their_documents(fleet):
    t = fleet.traffic
    claim = t.claim_handed_over(debts=2)
    first = record("register_case", claim)
    resent = record("register_case", claim)  # the upstream system sends the same claim again (new event id)
    outcomes = fleet.send(first)
    outcomes.update(fleet.send(resent))
    assert outcomes[first.event_id]["status"] == outcomes[resent.event_id]["status"] == "succeeded"
    assert outcomes[resent.event_id]["detail"]["reconciled"] == 2
    document = record("upload_document", t.document(claim.creditor, claim.debts[0].invoice_number))
    assert fleet.send(document)[document.event_id]["status"] == "succeeded"
    ledger = fleet.ledger()
    assert ledger["duplicates"] == {}
    assert sum(1 for e in ledger["entries"] if e["kind"] == "case_registration") >= 1


def test_partner_provisions_accounts_and_creditors_and_invites_users(fleet):
    t = fleet.traffic
    direct = record("provision_account", t.account_request("IT-PARTNER-A", activation="direct"))
    app_onboarding = record("provision_account", t.account_request("IT-PARTNER-B", activation="inactive"))
    extra = record("provision_creditor", t.creditor_request(fleet.account, "IT-SUB-1", activation="direct"))
    admin = record("invite_user", t.user(fleet.account, None, "account_admin"))
    outcomes = fleet.send(direct, app_onboarding, extra, admin)
    assert {o["status"] for o in outcomes.values()} == {"succeeded"}
    assert outcomes[extra.event_id]["detail"]["active"] is True
    assert outcomes[direct.event_id]["amili_ids"]["creditor"]
    # A user for another tenant's creditor is a business "no", answered as a rejected outcome.
    foreign = record("invite_user", t.user(fleet.account, "5eed0000000000000000c004", "user"))
    refused = fleet.send(foreign)[foreign.event_id]
    assert refused["status"] == "rejected"
    assert refused["errors"][0]["field"] == "data.creditor"
