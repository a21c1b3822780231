"""Use case 10: postpone collection activity on a case until a date (respite)."""

from __future__ import annotations

from schemas.actions import RespiteRequested
from schemas.catalog import USE_CASES
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import act_on_case, action_reference, action_status, amili_ids


@use_case("grant_respite", consumes=USE_CASES["grant_respite"].topic, event=RespiteRequested, reconcile="always")
async def grant_respite(event: RespiteRequested, ctx: Context) -> Succeeded:
    """The case id goes in the path (the only documented fact); the rest is our assumption (RESPITE_PATH).
    Registered once per event identity, or, where Amili refuses `creditor_reference`, once per case and date."""
    reference = action_reference(None, ctx)
    case_id, respite, reconciled = await act_on_case(
        ctx,
        event,
        reference,
        lambda creditor, ref, case: ctx.amili.find_respite(creditor, ref, case, event.respite_until),
        lambda case_id: ctx.amili.register_respite(
            case_id,
            bodies.RespiteRegistration(
                creditor=event.creditor.id,
                respite_until=event.respite_until,
                reason=event.reason,
                creditor_reference=reference,
            ),
        ),
    )
    status, reason = action_status("respite", respite, "data.respite_until")
    return Succeeded(
        amili_ids=amili_ids(respite=respite.id, case=case_id),
        case_id=case_id,
        detail={"respite_until": event.respite_until.isoformat(), "reconciled": reconciled},
        amili_status=status,
        amili_status_reason=reason,
    )
