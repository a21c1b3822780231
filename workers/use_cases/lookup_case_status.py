"""Use case 4: answer a status request with the case's live state, read from Amili at that moment."""

from __future__ import annotations

from schemas.actions import CaseStatusRequested
from schemas.catalog import USE_CASES
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import resolve_case_id

#: Only what the answer needs: the case carries the debtor's name and id number, which must not travel.
STATUS_PROJECTION = {
    "_id": 1,
    "state": 1,
    "status": 1,
    "closed": 1,
    "latest_state_date": 1,
    "debt.invoice_number": 1,
    "local_remaining_capital_amount": 1,
    "local_remaining_interest_amount": 1,
    "local_remaining_costs_amount": 1,
}


@use_case("lookup_case_status", consumes=USE_CASES["lookup_case_status"].topic, event=CaseStatusRequested)
async def lookup_case_status(event: CaseStatusRequested, ctx: Context) -> Succeeded:
    """Read-only, so it never needs reconciling; never answered from a stale copy (Amili's advice)."""
    case_id = await resolve_case_id(ctx.amili, event.creditor.id, event.case)
    case = await ctx.amili.get_case(case_id, projection=STATUS_PROJECTION)
    closed = case.closed
    return Succeeded(
        amili_ids={"case": case_id},
        case_id=case_id,
        detail={
            "state": case.state,
            "status": case.status,
            "latest_state_date": case.latest_state_date.isoformat() if case.latest_state_date else None,
            "closed": None
            if closed is None
            else {
                "reason": closed.reason,
                "closed_date": closed.closed_date.isoformat() if closed.closed_date else None,
            },
            "remaining_capital": case.local_remaining_capital_amount,
            "remaining_interest": case.local_remaining_interest_amount,
            "remaining_costs": case.local_remaining_costs_amount,
        },
    )
