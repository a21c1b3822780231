"""Identities end to end (broker, worker process, sandbox): nothing merged.

- an event is (source, id): two producers' event 42 are two payments;
- a creditor belongs to one account: a request is never reconciled onto, or patched into, a creditor it
  does not match exactly, and a near-match is rejected naming the field.

Cost: one broker and one worker (~4 s to join), ~6 s of traffic.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from schemas.identity import event_identity
from tests.fixtures.sandbox import fetch_token
from workers.amili.assumptions import API_KEY_HEADER
from workers.demo.traffic import Traffic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fleet(fleet_run):
    return fleet_run(("register_invoice", "register_payment", "provision_creditor"))


def test_event_42_from_two_producers_is_two_payments(fleet, sandbox):
    traffic = Traffic({sandbox.credentials.creditor_id: sandbox.credentials.account_id}, seed=41)
    invoice = traffic.invoice_issued()
    case_id = fleet.send("register_invoice", invoice)["amili_ids"]["case"]
    creditor, number = invoice.creditor, invoice.invoice_number
    # When two producers each send a payment with event id "42" (100 and 300 SEK)
    a = fleet.publish(
        "register_payment", traffic.payment(creditor, number, Decimal("100.00")), source="urn:erp:a", event_id="42"
    )
    b = fleet.publish(
        "register_payment", traffic.payment(creditor, number, Decimal("300.00")), source="urn:erp:b", event_id="42"
    )
    outcomes = fleet.wait(a, b)
    # Then each has its own succeeded outcome and its own payment at Amili
    assert {o["status"] for o in outcomes.values()} == {"succeeded"}
    assert outcomes[a]["amili_ids"]["payment"] != outcomes[b]["amili_ids"]["payment"]
    assert outcomes[b]["detail"]["reconciled"] is False
    payments = [e for e in sandbox.ledger(case=case_id, kind="payment")["entries"]]
    assert len(payments) == 2
    with sandbox.client() as amili:
        held = amili.get("/creditor--payments", params={"where": f'{{"case": "{case_id}"}}'}).json()["_items"]
    assert {(p["creditor_payment_reference"], Decimal(str(p["amount"]))) for p in held} == {
        (event_identity("urn:erp:a", "42"), Decimal("100.00")),
        (event_identity("urn:erp:b", "42"), Decimal("300.00")),
    }


def test_creditor_requests_are_matched_within_their_account_only(fleet, sandbox):
    account = sandbox.credentials.account_id
    traffic = Traffic({sandbox.credentials.creditor_id: account}, seed=43)
    # Given another account of the partner holding an inactive creditor with organisation number M
    direct = traffic.creditor_request(account, "SUB-DIRECT", activation="direct")
    number_m = direct.creditor.organization_no
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as partner:
        partner.headers[API_KEY_HEADER] = fetch_token(
            partner, sandbox.credentials.partner_api_code, sandbox.credentials.partner_key_path
        )
        other = partner.post(
            "/accounts",
            json={
                "name": "Annat Konto AB",
                "organization_no": "5560160680",
                "initial_creditor_data": {"name": direct.creditor.name, "organization_no": number_m},
            },
        ).json()
    # When this account asks for a creditor (N, name X), then another (N, name Y, another reference),
    # and a directly activated one with number M
    first = traffic.creditor_request(account, "SUB-1", activation="inactive")
    second = first.model_copy(
        update={"creditor": first.creditor.model_copy(update={"reference": "SUB-2", "name": "Helt Annat Namn AB"})}
    )
    created = fleet.send("provision_creditor", first)
    near = fleet.send("provision_creditor", second)
    activated = fleet.send("provision_creditor", direct)
    # Then the first is created, the second refused naming the name, the third created here and active
    assert (created["status"], created["detail"]["reconciled"]) == ("succeeded", False)
    assert near["status"] == "rejected"
    assert [e["field"] for e in near["errors"]] == ["data.creditor.name"]
    assert activated["status"] == "succeeded"
    assert activated["amili_ids"]["creditor"] != other["_creditor"]
    assert activated["detail"] == {"activation": "direct", "active": True, "reconciled": False}
    # and Amili holds one creditor per request that succeeded, the other account's untouched
    book = sandbox.ledger(kind="creditor")
    mine = [e["ids"]["creditor"] for e in book["entries"] if e["natural_key"].startswith(account)]
    assert sorted(mine) == sorted([created["amili_ids"]["creditor"], activated["amili_ids"]["creditor"]])
    assert sandbox.ledger(kind="creditor_update")["entries"] == []
