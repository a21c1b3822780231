"""Identities against the sandbox: an event is (source, id); a creditor belongs to one account."""

from __future__ import annotations

from decimal import Decimal

import pytest

from schemas.identity import event_identity
from tests.use_cases.conftest import open_case
from workers.amili.bodies import AccountCreation, CreditorCreation, CreditorFields
from workers.amili.errors import RejectedError
from workers.use_cases.mapping import creditor_fields
from workers.use_cases.provision_account import provision_account
from workers.use_cases.provision_creditor import provision_creditor
from workers.use_cases.register_payment import register_payment

pytestmark = pytest.mark.anyio


async def test_event_42_of_two_producers_registers_two_payments(rig):
    invoice, case_id = await open_case(rig)
    first = rig.traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("100.00"))
    second = rig.traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("300.00"))
    a = await register_payment(first, rig.context("register_payment", event_id="42", source="urn:erp:a"))
    b = await register_payment(second, rig.context("register_payment", event_id="42", source="urn:erp:b"))
    assert a.amili_ids["payment"] != b.amili_ids["payment"]
    assert b.detail["reconciled"] is False
    held = {p.creditor_payment_reference: p.amount async for p in rig.amili.iter_payments(where={"case": case_id})}
    assert held == {
        event_identity("urn:erp:a", "42"): Decimal("100.00"),
        event_identity("urn:erp:b", "42"): Decimal("300.00"),
    }
    # and the same producer's event 42 again is the same payment
    again = await register_payment(first, rig.context("register_payment", event_id="42", source="urn:erp:a"))
    assert (again.amili_ids, again.detail["reconciled"]) == (a.amili_ids, True)
    assert len((await rig.ledger(kind="payment"))["documents"]["payment"]) == 2


async def test_a_second_creditor_request_with_the_number_under_another_name_is_rejected_not_merged(rig):
    account = rig.creds.account_id
    first = rig.traffic.creditor_request(account, "SUB-A", activation="inactive")
    created = await provision_creditor(first, rig.context("provision_creditor"))
    renamed = first.model_copy(
        update={"creditor": first.creditor.model_copy(update={"reference": "SUB-B", "name": "Annat Namn AB"})}
    )
    with pytest.raises(RejectedError) as refused:
        await provision_creditor(renamed, rig.context("provision_creditor"))
    assert list(refused.value.issues) == ["data.creditor.name"]
    # the same request again is the same creditor
    again = await provision_creditor(first, rig.context("provision_creditor"))
    assert (again.amili_ids, again.detail["reconciled"]) == (created.amili_ids, True)
    assert len((await rig.ledger(kind="creditor"))["documents"]["creditor"]) == 1


async def test_a_creditor_of_another_account_is_never_found_nor_patched(rig):
    # Given another account of the partner with an inactive creditor of organisation number N
    request = rig.traffic.creditor_request(rig.creds.account_id, "SUB-X", activation="direct")
    other = await rig.amili.create_account(
        AccountCreation(
            name="Annat Konto AB",
            organization_no="5560160680",
            initial_creditor_data=CreditorFields(
                name=request.creditor.name, organization_no=request.creditor.organization_no
            ),
        )
    )
    assert other.initial_creditor is not None
    # When this account asks for a directly activated creditor with number N
    result = await provision_creditor(request, rig.context("provision_creditor"))
    # Then a new creditor is created in this account and the other one is untouched
    assert result.amili_ids["creditor"] != other.initial_creditor
    assert result.detail == {"activation": "direct", "active": True, "reconciled": False}
    foreign = await rig.amili.get_creditor(other.initial_creditor)
    assert (foreign.account, foreign.is_active) == (other.id, False)
    assert (await rig.ledger(kind="creditor_update"))["total"] == 0


async def test_a_found_creditor_with_other_payout_details_is_not_activated(rig):
    request = rig.traffic.creditor_request(rig.creds.account_id, "SUB-P", activation="direct")
    fields = creditor_fields(request.creditor, activate=False).model_copy(
        update={"payout_details": {"sek": {"bankgiro": "5050-1055"}}}
    )
    existing = await rig.amili.create_creditor(
        CreditorCreation(**fields.model_dump(exclude_none=True), account=rig.creds.account_id)
    )
    with pytest.raises(RejectedError) as refused:
        await provision_creditor(request, rig.context("provision_creditor"))
    assert list(refused.value.issues) == ["data.creditor.payout_details"]
    assert (await rig.amili.get_creditor(existing.id)).is_active is False
    assert (await rig.ledger(kind="creditor_update"))["total"] == 0


async def test_an_account_found_under_another_name_is_rejected(rig):
    event = rig.traffic.account_request("PARTNER-ACC-N", activation="inactive")
    await provision_account(event, rig.context("provision_account"))
    other_name = event.model_copy(update={"name": "Helt Annat AB"})
    with pytest.raises(RejectedError) as refused:
        await provision_account(other_name, rig.context("provision_account"))
    assert list(refused.value.issues) == ["data.name"]
