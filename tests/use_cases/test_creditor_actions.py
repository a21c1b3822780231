"""Payments, credits, cancellations and respites: each lands once per natural key, whatever happens
to the answer, and moves the case as Amili would."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas.identity import event_identity
from tests.use_cases.conftest import open_case
from workers.amili.errors import RejectedError, TransientError
from workers.use_cases.cancel_case import cancel_case
from workers.use_cases.credit_case import credit_case
from workers.use_cases.grant_respite import grant_respite
from workers.use_cases.register_payment import register_payment

pytestmark = pytest.mark.anyio


async def test_partial_payment_leaves_a_residual_and_full_payment_closes_the_case(rig):
    invoice, case_id = await open_case(rig)
    total = invoice.total_amount_excluding_vat + invoice.total_vat
    part = await register_payment(
        rig.traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("100.00")),
        rig.context("register_payment"),
    )
    assert part.case_id == case_id
    assert (part.amili_status, part.amili_status_reason) == ("completed", "creditor_payment.completed.residual_remains")
    case = await rig.amili.get_case(case_id)
    assert case.local_remaining_capital_amount == total - Decimal("100.00")
    assert not case.is_closed

    rest = rig.traffic.payment(invoice.creditor, invoice.invoice_number, total - Decimal("100.00"))
    await register_payment(rest, rig.context("register_payment"))
    closed = await rig.amili.get_case(case_id)
    assert closed.is_closed
    assert closed.closed is not None
    assert closed.closed.reason == "paid"


async def test_payment_lost_after_the_write_is_registered_once(rig):
    invoice, _ = await open_case(rig)
    event = rig.traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("50.00"))
    ctx_id = "evt-payment-1"
    await rig.faults({"path": "/creditor--payments", "method": "POST", "drop_after_write_rate": 1, "times": 1})
    with pytest.raises(TransientError) as lost:
        await register_payment(event, rig.context("register_payment", event_id=ctx_id))
    assert lost.value.may_have_landed
    again = await register_payment(event, rig.context("register_payment", event_id=ctx_id, attempt=2))
    assert again.detail["reconciled"] is True
    reference = event_identity("urn:test", ctx_id)  # the rig's events come from source "urn:test"
    assert await rig.created("payment") == {f"{invoice.creditor.id}:{reference}": 1}


async def test_payment_for_an_unknown_invoice_is_rejected_naming_the_field(rig):
    invoice, _ = await open_case(rig)
    event = rig.traffic.payment(invoice.creditor, "NO-SUCH-INVOICE", Decimal("10.00"))
    with pytest.raises(RejectedError) as refused:
        await register_payment(event, rig.context("register_payment"))
    assert "data.case.invoice_number" in refused.value.issues


async def test_transient_failure_on_a_credit_propagates_and_a_retry_credits_once(rig):
    invoice, case_id = await open_case(rig)
    event = rig.traffic.credit(invoice.creditor, invoice.invoice_number, Decimal("25.00"))
    await rig.faults({"path": "/creditor--creditings", "method": "POST", "error_rate": 1, "times": 1})
    with pytest.raises(TransientError):
        await credit_case(event, rig.context("credit_case", event_id="evt-credit"))
    result = await credit_case(event, rig.context("credit_case", event_id="evt-credit", attempt=2))
    assert result.detail["reconciled"] is False
    duplicate = await credit_case(event, rig.context("credit_case", event_id="evt-credit", attempt=3))
    assert duplicate.detail["reconciled"] is True
    assert sum((await rig.created("crediting")).values()) == 1
    case = await rig.amili.get_case(case_id)
    assert case.local_remaining_capital_amount == invoice.total_amount_excluding_vat + invoice.total_vat - Decimal("25")


async def test_cancellation_closes_the_case_once(rig):
    invoice, case_id = await open_case(rig)
    event = rig.traffic.cancellation(invoice.creditor, invoice.invoice_number)
    first = await cancel_case(event, rig.context("cancel_case", event_id="evt-cancel"))
    second = await cancel_case(event, rig.context("cancel_case", event_id="evt-cancel"))
    assert first.case_id == second.case_id == case_id
    assert second.detail["reconciled"] is True
    case = await rig.amili.get_case(case_id)
    assert case.closed is not None
    assert case.closed.reason == "cancelled"
    assert sum((await rig.created("cancellation")).values()) == 1


async def test_respite_is_registered_once_and_rejected_when_amili_refuses(rig):
    invoice, case_id = await open_case(rig)
    event = rig.traffic.respite(invoice.creditor, invoice.invoice_number, days=20)
    result = await grant_respite(event, rig.context("grant_respite", event_id="evt-respite"))
    assert result.case_id == case_id
    assert result.detail["respite_until"] == event.respite_until.isoformat()
    again = await grant_respite(event, rig.context("grant_respite", event_id="evt-respite"))
    assert again.detail["reconciled"] is True
    assert sum((await rig.created("respite")).values()) == 1

    await rig.faults({"path": "*", "method": "POST", "error_rate": 1, "error_status": 422})
    with pytest.raises(RejectedError):
        await grant_respite(event, rig.context("grant_respite", event_id="evt-respite-2"))
