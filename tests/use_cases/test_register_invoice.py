"""register_invoice against the sandbox: registers once, rejects what Amili refuses, survives a lost answer."""

from __future__ import annotations

import pytest

from workers.amili.errors import RejectedError, TransientError
from workers.use_cases.register_invoice import invoice_registration, register_invoice

pytestmark = pytest.mark.anyio


async def test_registers_the_invoice_and_reports_its_case(rig):
    event = rig.traffic.invoice_issued()
    result = await register_invoice(event, rig.context("register_invoice"))
    assert result.case_id
    assert result.amili_ids["case"] == result.case_id
    assert result.detail["reconciled"] is False
    invoice = await rig.amili.find_invoice(event.creditor.id, event.invoice_number)
    assert invoice is not None
    assert invoice.case == result.case_id
    # Amili computes its own öre rounding, so its total is the exact sum of the lines and VAT.
    assert invoice.total_amount_including_vat == event.total_amount_excluding_vat + event.total_vat


async def test_an_upstream_duplicate_creates_nothing_new(rig):
    event = rig.traffic.invoice_issued()
    first = await register_invoice(event, rig.context("register_invoice"))
    again = await register_invoice(event, rig.context("register_invoice"))  # a new event id, same invoice
    assert again.case_id == first.case_id
    assert again.detail["reconciled"] is True
    assert list((await rig.created("invoice")).values()) == [1]


async def test_a_write_whose_answer_was_lost_is_not_repeated(rig):
    event = rig.traffic.invoice_issued()
    await rig.faults({"path": "/invoice--registrations", "method": "POST", "drop_after_write_rate": 1, "times": 1})
    with pytest.raises(TransientError) as lost:
        await register_invoice(event, rig.context("register_invoice"))
    assert lost.value.may_have_landed
    retried = await register_invoice(event, rig.context("register_invoice", attempt=2))
    assert retried.detail["reconciled"] is True
    assert list((await rig.created("invoice")).values()) == [1]


async def test_transient_failure_propagates_for_the_runtime_to_retry(rig):
    await rig.faults({"path": "/invoice--registrations", "method": "POST", "error_rate": 1, "error_status": 503})
    with pytest.raises(TransientError):
        await register_invoice(rig.traffic.invoice_issued(), rig.context("register_invoice"))
    assert await rig.created("invoice") == {}


async def test_amili_refusal_propagates_as_a_rejection(rig):
    await rig.faults({"path": "/invoice--registrations", "method": "POST", "error_rate": 1, "error_status": 422})
    with pytest.raises(RejectedError) as refused:
        await register_invoice(rig.traffic.invoice_issued(), rig.context("register_invoice"))
    assert refused.value.status == 422


async def test_lines_map_to_amilis_matrix_with_vat_as_percent(rig):
    event = rig.traffic.invoice_issued()
    body = invoice_registration(event)
    assert [line.unit_vat_percent for line in body.matrix] == [f"{line.unit_vat_percent}%" for line in event.lines]
    assert body.customer.is_person is (event.customer.kind == "person") or body.customer.is_company
    assert body.creditor == event.creditor.id
    assert body.account == event.creditor.account
