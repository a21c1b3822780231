"""Use case 9: withdraw a claim from Amili entirely; all further collection stops."""

from __future__ import annotations

from schemas.actions import InvoiceCancelled
from schemas.catalog import USE_CASES
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import act_on_case, action_reference, action_status, amili_ids


@use_case("cancel_case", consumes=USE_CASES["cancel_case"].topic, event=InvoiceCancelled, reconcile="always")
async def cancel_case(event: InvoiceCancelled, ctx: Context) -> Succeeded:
    """Registered once per event identity (sent as `creditor_reference`, or, where Amili refuses that
    undocumented field, once per case); a `warning` (e.g. the case was already closed) is still a
    success, the claim is no longer collected, and the outcome shows Amili's reason."""
    reference = action_reference(None, ctx)
    case_id, cancellation, reconciled = await act_on_case(
        ctx,
        event,
        reference,
        ctx.amili.find_cancellation,
        lambda case_id: ctx.amili.register_cancellation(
            bodies.CancellationRegistration(creditor=event.creditor.id, case=case_id, creditor_reference=reference)
        ),
    )
    status, reason = action_status("cancellation", cancellation, "data.case")
    return Succeeded(
        amili_ids=amili_ids(cancellation=cancellation.id, case=case_id),
        case_id=case_id,
        detail={"reconciled": reconciled},
        amili_status=status,
        amili_status_reason=reason,
    )
