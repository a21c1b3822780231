"""Use case 8: credit part of a claim's capital, or all of it, after the creditor issued a credit note."""

from __future__ import annotations

from schemas.actions import CreditIssued
from schemas.catalog import USE_CASES
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import act_on_case, action_reference, action_status, amili_ids


@use_case("credit_case", consumes=USE_CASES["credit_case"].topic, event=CreditIssued, reconcile="always")
async def credit_case(event: CreditIssued, ctx: Context) -> Succeeded:
    """Registered once per `creditor_reference` (the producer's reference or the event identity)."""
    reference = action_reference(event.credit_reference, ctx)
    case_id, crediting, reconciled = await act_on_case(
        ctx,
        event,
        reference,
        lambda creditor, ref, _case: ctx.amili.find_crediting_by_reference(creditor, ref),
        lambda case_id: ctx.amili.register_crediting(
            bodies.CreditingRegistration(
                creditor=event.creditor.id,
                case=case_id,
                currency=event.currency,
                amount=event.amount,
                credit_invoice=event.credit_invoice,
                creditor_reference=reference,
            )
        ),
    )
    status, reason = action_status("crediting", crediting, "data.amount")
    return Succeeded(
        amili_ids=amili_ids(crediting=crediting.id, case=case_id),
        case_id=case_id,
        detail={"scope": event.scope, "settled_amount": crediting.settled_amount, "reconciled": reconciled},
        amili_status=status,
        amili_status_reason=reason,
    )
