"""`succeeded` only when Amili holds what the event asked, against the sandbox: access granted to an
existing user, a corrected document uploaded, Amili's status carried, an undocumented field refused."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import pytest

from tests.use_cases.conftest import open_case
from workers.amili.dates import rfc1123
from workers.amili.errors import RejectedError, TransientError
from workers.use_cases.cancel_case import cancel_case
from workers.use_cases.grant_respite import grant_respite
from workers.use_cases.invite_user import invite_user
from workers.use_cases.register_payment import register_payment
from workers.use_cases.upload_document import upload_document

pytestmark = pytest.mark.anyio
CORRECTED_PDF = b"%PDF-1.4\n% corrected invoice\n%%EOF\n"


async def test_inviting_an_existing_user_to_another_creditor_grants_that_access(rig):
    first, second = rig.creds.creditor_ids[:2]
    invited = rig.traffic.user(rig.creds.account_id, first, role="user")
    created = await invite_user(invited, rig.context("invite_user"))
    as_admin = invited.model_copy(update={"creditor": second, "role": "creditor_admin"})
    granted = await invite_user(as_admin, rig.context("invite_user"))
    assert granted.amili_ids == created.amili_ids
    assert granted.detail == {"role": "creditor_admin", "reconciled": True, "access_granted": True}
    groups = {g.id: g for g in await rig.amili.list_access_groups(rig.creds.account_id)}
    user = await rig.amili.get_user(created.amili_ids["user"])
    assert sorted((groups[g].type, groups[g].creditor) for g in user.access_groups) == [
        ("admin", second),
        ("user", first),
    ]
    # asked again, nothing more to grant
    again = await invite_user(as_admin, rig.context("invite_user"))
    assert again.detail["access_granted"] is False
    assert (await rig.ledger(kind="user_update"))["total"] == 1


async def test_an_existing_user_that_amili_will_not_change_is_rejected_with_the_reason(rig):
    first, second = rig.creds.creditor_ids[:2]
    invited = rig.traffic.user(rig.creds.account_id, first, role="user")
    await invite_user(invited, rig.context("invite_user"))
    await rig.faults({"path": "/users/{user_id}", "method": "PATCH", "error_rate": 1, "error_status": 405})
    with pytest.raises(RejectedError) as refused:
        await invite_user(invited.model_copy(update={"creditor": second}), rig.context("invite_user"))
    assert "Amili App" in refused.value.issues["data.role"]
    other_sign_in = invited.model_copy(
        update={"oauth_type": "google" if invited.oauth_type == "microsoft" else "microsoft"}
    )
    with pytest.raises(RejectedError) as wrong_login:
        await invite_user(other_sign_in, rig.context("invite_user"))
    assert list(wrong_login.value.issues) == ["data.oauth_type"]


async def test_a_corrected_document_replaces_the_one_amili_holds_and_the_same_one_is_reconciled(rig):
    invoice, case_id = await open_case(rig)
    original = rig.traffic.document(invoice.creditor, invoice.invoice_number)
    await upload_document(original, rig.context("upload_document"))
    corrected = original.model_copy(update={"content_base64": base64.b64encode(CORRECTED_PDF).decode()})
    replaced = await upload_document(corrected, rig.context("upload_document"))
    assert (replaced.detail["reconciled"], replaced.detail["replaced"]) == (False, True)
    assert await rig.amili.stored_document_sha256(case_id) == hashlib.sha256(CORRECTED_PDF).hexdigest()
    same = await upload_document(corrected, rig.context("upload_document"))
    assert same.detail["reconciled"] is True
    assert len((await rig.ledger(kind="media"))["documents"]["media"]) == 2


async def test_a_payment_on_a_closed_case_succeeds_with_amilis_warning(rig):
    invoice, _ = await open_case(rig)
    total = invoice.total_amount_excluding_vat + invoice.total_vat
    await register_payment(
        rig.traffic.payment(invoice.creditor, invoice.invoice_number, total), rig.context("register_payment")
    )
    late = await register_payment(
        rig.traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("10.00")),
        rig.context("register_payment"),
    )
    assert (late.amili_status, late.amili_status_reason) == ("warning", "creditor_payment.warning.case_closed")
    assert late.detail["settled_amount"] == Decimal("0.00")


async def test_amili_refusing_creditor_reference_on_cancellations_and_respites_still_lands_each_once(rig):
    await rig.refuse_fields(
        {"path": "/creditor--cancellations", "field": "creditor_reference"},
        {"path": "/creditor--respites/{case_id}", "field": "creditor_reference"},
    )
    invoice, case_id = await open_case(rig)
    respite = rig.traffic.respite(invoice.creditor, invoice.invoice_number, days=20)
    postponed = await grant_respite(respite, rig.context("grant_respite"))
    assert postponed.amili_status == "completed"
    cancelled = await cancel_case(
        rig.traffic.cancellation(invoice.creditor, invoice.invoice_number), rig.context("cancel_case")
    )
    assert (cancelled.case_id, cancelled.amili_status) == (case_id, "completed")
    # A later cancellation whose answer is lost is found again by its case (Amili holds no reference).
    other, other_case = await open_case(rig)
    event = rig.traffic.cancellation(other.creditor, other.invoice_number)
    await rig.faults({"path": "/creditor--cancellations", "method": "POST", "drop_after_write_rate": 1, "times": 1})
    with pytest.raises(TransientError):
        await cancel_case(event, rig.context("cancel_case", event_id="evt-lost"))
    found = await cancel_case(event, rig.context("cancel_case", event_id="evt-lost", attempt=2))
    assert (found.case_id, found.detail["reconciled"]) == (other_case, True)
    ledger = await rig.ledger()
    assert len(ledger["documents"]["cancellation"]) == 2
    assert len(ledger["documents"]["respite"]) == 1
    assert ledger["duplicates"] == {}
    # Amili holds them without our reference: the sandbox keys them by case (and date) instead.
    creditor = invoice.creditor.id
    assert ledger["counts"]["cancellation"] == {f"{creditor}:{case_id}": 1, f"{other.creditor.id}:{other_case}": 1}
    assert list(ledger["counts"]["respite"]) == [f"{creditor}:{case_id}:{rfc1123(respite.respite_until)}"]
