"""`succeeded` means Amili now holds what the event asked, end to end (broker, worker process, sandbox):

- an existing user invited to another creditor gets that access;
- a corrected PDF replaces the one the case holds;
- a payment Amili stores with a warning says so in its outcome;
- a write dead-lettered after timeouts says it may have landed.

Cost: one broker and one worker (~4 s to join), ~10 s of traffic (the timeouts take 3 x 1 s).
"""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import pytest

from workers.demo.traffic import Traffic

pytestmark = pytest.mark.integration
CORRECTED = b"%PDF-1.4\n% the corrected invoice\n%%EOF\n"


@pytest.fixture(scope="module")
def fleet(fleet_run):
    return fleet_run(("register_invoice", "register_payment", "upload_document", "invite_user"))


@pytest.fixture
def traffic(sandbox):
    return Traffic({sandbox.credentials.creditor_id: sandbox.credentials.account_id}, seed=47)


def test_an_existing_user_invited_to_another_creditor_gets_that_access(fleet, sandbox, traffic):
    account, (first, second) = sandbox.credentials.account_id, sandbox.credentials.creditor_ids[:2]
    invited = traffic.user(account, first, role="user")
    created = fleet.send("invite_user", invited)
    again = fleet.send("invite_user", invited.model_copy(update={"creditor": second, "role": "creditor_admin"}))
    assert (created["status"], again["status"]) == ("succeeded", "succeeded")
    assert again["amili_ids"] == created["amili_ids"]
    # Amili now holds the user with both roles' access groups
    with sandbox.client() as amili:
        user = amili.get(f"/users/{created['amili_ids']['user']}").json()
        groups = {g["_id"]: g for g in amili.get("/access--groups").json()["_items"]}
    held = sorted(
        (groups[a["access_group"]]["type"], groups[a["access_group"]]["creditor"]) for a in user["data_access"]
    )
    assert held == [("admin", second), ("user", first)]
    assert again["detail"]["access_granted"] is True


def test_a_corrected_document_replaces_the_one_the_case_holds(fleet, sandbox, traffic):
    invoice = traffic.invoice_issued()
    case_id = fleet.send("register_invoice", invoice)["amili_ids"]["case"]
    original = traffic.document(invoice.creditor, invoice.invoice_number)
    corrected = original.model_copy(update={"content_base64": base64.b64encode(CORRECTED).decode()})
    first = fleet.send("upload_document", original)
    replaced = fleet.send("upload_document", corrected)
    assert (first["status"], replaced["status"]) == ("succeeded", "succeeded")
    # What the case now holds is the corrected file, byte for byte.
    assert len(sandbox.ledger(kind="media")["documents"]["media"]) == 2
    with sandbox.client() as amili:
        url = amili.get(f"/cases/{case_id}").json()["original_invoice"]["url"]
        assert hashlib.sha256(amili.get(url).content).hexdigest() == hashlib.sha256(CORRECTED).hexdigest()
    assert (replaced["detail"]["reconciled"], replaced["detail"]["replaced"]) == (False, True)


def test_a_payment_amili_stores_with_a_warning_says_so(fleet, sandbox, traffic):
    invoice = traffic.invoice_issued()
    fleet.send("register_invoice", invoice)
    total = invoice.total_amount_excluding_vat + invoice.total_vat
    paid = fleet.send("register_payment", traffic.payment(invoice.creditor, invoice.invoice_number, total))
    late = fleet.send("register_payment", traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("50.00")))
    assert paid["amili_status"] == {"status": "completed", "reason": "creditor_payment.completed.paid_in_full"}
    assert late["status"] == "succeeded"
    assert late["amili_status"] == {"status": "warning", "reason": "creditor_payment.warning.case_closed"}
    assert Decimal(str(late["detail"]["settled_amount"])) == Decimal("0")


def test_a_write_dead_lettered_after_timeouts_says_it_may_have_landed(fleet, sandbox, traffic):
    invoice = traffic.invoice_issued()
    fleet.send("register_invoice", invoice)
    # Amili never answers a payment within the worker's 1 s read timeout
    sandbox.set_faults({"path": "/creditor--payments", "method": "POST", "hang_rate": 1, "hang_seconds": 5})
    lost = fleet.send(
        "register_payment", traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("10.00")), timeout=45
    )
    assert (lost["status"], lost["detail"]["attempts"]) == ("dead_lettered", 3)
    assert lost["may_have_landed"] is True
    # A record that failed before anything was sent cannot have landed, and says so too.
    sandbox.set_faults({"path": "/cases", "method": "GET", "error_rate": 1, "error_status": 503})
    unsent = fleet.send("register_payment", traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("10.00")))
    assert (unsent["status"], unsent["may_have_landed"]) == ("dead_lettered", False)
