"""Use case 10: postpone collection activity on a case until a date (respite)."""

from __future__ import annotations

from schemas.actions import RespiteRequested
from schemas.catalog import USE_CASES
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import act_on_case, amili_ids, reject_error_status


@use_case("grant_respite", consumes=USE_CASES["grant_respite"].topic, event=RespiteRequested, reconcile="always")
async def grant_respite(event: RespiteRequested, ctx: Context) -> Succeeded:
    """The case id goes in the path (the only documented fact); the rest is our assumption (RESPITE_PATH)."""
    reference = ctx.envelope.id
    case_id, respite, reconciled = await act_on_case(
        ctx,
        event,
        reference,
        ctx.amili.find_respite_by_reference,
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
    reject_error_status("respite", respite.status, respite.status_reason_locale, "data.respite_until")
    return Succeeded(
        amili_ids=amili_ids(respite=respite.id, case=case_id),
        case_id=case_id,
        detail={"respite_until": event.respite_until.isoformat(), "status": respite.status, "reconciled": reconciled},
    )
