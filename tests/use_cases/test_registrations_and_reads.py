"""register_case, upload_document and lookup_case_status against the sandbox."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal

import pytest

from tests.use_cases.conftest import open_case
from workers.amili.bodies import PaymentRegistration
from workers.amili.errors import RejectedError, TransientError
from workers.use_cases.lookup_case_status import lookup_case_status
from workers.use_cases.register_case import register_case
from workers.use_cases.upload_document import upload_document

pytestmark = pytest.mark.anyio


async def test_claim_with_two_debts_becomes_two_cases_once(rig):
    claim = rig.traffic.claim_handed_over(debts=2)
    first = await register_case(claim, rig.context("register_case"))
    assert first.detail == {"cases": 2, "reconciled": 0}
    cases = {k: v for k, v in first.amili_ids.items() if k.startswith("case:")}
    assert len(set(cases.values())) == 2
    again = await register_case(claim, rig.context("register_case"))
    assert again.detail == {"cases": 2, "reconciled": 2}
    assert {k: v for k, v in again.amili_ids.items() if k.startswith("case:")} == cases
    assert sum((await rig.created("case_registration")).values()) == 1
    case = await rig.amili.get_case(first.case_id)
    assert case.debt is not None
    assert case.debt.invoice_number == claim.debts[0].invoice_number
    assert case.debt.capital_to_claim == claim.debts[0].capital_to_claim


async def test_claim_registration_lost_after_write_is_not_repeated(rig):
    claim = rig.traffic.claim_handed_over(debts=1)
    await rig.faults({"path": "/case--registrations", "method": "POST", "drop_after_write_rate": 1, "times": 1})
    with pytest.raises(TransientError):
        await register_case(claim, rig.context("register_case"))
    retried = await register_case(claim, rig.context("register_case", attempt=2))
    assert retried.detail["reconciled"] == 1
    assert sum((await rig.created("case_registration")).values()) == 1


async def test_document_is_uploaded_once_and_a_wrong_type_is_rejected(rig):
    invoice, case_id = await open_case(rig)
    document = rig.traffic.document(invoice.creditor, invoice.invoice_number)
    done = await upload_document(document, rig.context("upload_document"))
    assert done.case_id == case_id
    assert done.detail["reconciled"] is False
    assert done.detail["bytes"] > 0
    again = await upload_document(document, rig.context("upload_document"))
    assert again.detail["reconciled"] is True
    assert sum((await rig.created("media")).values()) == 1

    other, _ = await open_case(rig)
    fresh = rig.traffic.document(other.creditor, other.invoice_number)
    not_a_pdf = fresh.model_copy(update={"content_base64": base64.b64encode(b"GIF89a-not-a-pdf").decode()})
    with pytest.raises(RejectedError) as refused:
        await upload_document(not_a_pdf, rig.context("upload_document"))
    assert "data.content_type" in refused.value.issues

    wrong_sum = fresh.model_copy(update={"sha256": hashlib.sha256(b"other").hexdigest()})
    with pytest.raises(RejectedError) as mismatch:
        await upload_document(wrong_sum, rig.context("upload_document"))
    assert "data.sha256" in mismatch.value.issues


async def test_status_lookup_reads_the_live_state_without_debtor_data(rig):
    invoice, case_id = await open_case(rig)
    status = await lookup_case_status(
        rig.traffic.status_request(invoice.creditor, invoice.invoice_number), rig.context("lookup_case_status")
    )
    assert status.case_id == case_id
    assert status.detail["closed"] is None
    assert status.detail["remaining_capital"] == invoice.total_amount_excluding_vat + invoice.total_vat
    assert status.detail["state"]
    assert invoice.customer.name not in str(status.detail)

    await rig.amili.register_payment(
        PaymentRegistration(
            creditor=invoice.creditor.id,
            case=case_id,
            amount=invoice.total_amount_excluding_vat + invoice.total_vat,
            bank_transaction_date=rig.traffic.today,
        )
    )
    after = await lookup_case_status(
        rig.traffic.status_request(invoice.creditor, invoice.invoice_number), rig.context("lookup_case_status")
    )
    assert after.detail["closed"]["reason"] == "paid"
    assert after.detail["remaining_capital"] == Decimal("0.00")
