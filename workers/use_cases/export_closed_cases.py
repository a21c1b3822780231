"""Use case 6: every case that closed since the last run, with the reason (paid leads to a payout; a
loss reason, written off, bankruptcy, cancelled, means write the claim off upstream)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

from schemas.catalog import POLLERS
from schemas.facts import CaseClosed
from workers.amili import assumptions
from workers.amili.models import Case
from workers.runtime.polling import Fact, PollContext, poller
from workers.use_cases.incremental import updated_after

SPEC = POLLERS["export_closed_cases"]


def case_closed(case: Case, ctx: PollContext) -> CaseClosed:
    closed = case.closed
    assert closed is not None
    assert closed.reason is not None
    closed_at = closed.closed_date or case.updated
    return CaseClosed(
        creditor=case.creditor or "",
        case_id=case.id,
        case_url=ctx.amili.deep_link(case.id),
        invoice_number=(case.debt.invoice_number if case.debt else None) or case.id,
        reference_number=case.reference_number,
        reason=closed.reason,  # the poller passes only assumptions.CLOSURE_REASONS
        closed_date=closed_at.date() if closed_at else ctx.now.date(),
        remaining_capital=case.local_remaining_capital_amount or Decimal("0.00"),
    )


@poller(SPEC.name, publishes=SPEC.topic, every_seconds=300)
async def export_closed_cases(ctx: PollContext) -> AsyncIterator[Fact]:
    """A case closes once, so its fact id is the case id: re-runs repeat it under the same id."""
    where = {"state": assumptions.CLOSED_STATE}
    async for case, cursor in updated_after(ctx.amili.iter_cases, where, ctx.watermark):
        ctx.next_watermark = cursor
        if case.closed is not None and case.closed.reason in assumptions.CLOSURE_REASONS:
            yield ctx.fact(SPEC.event_type, case_closed(case, ctx), natural_id=case.id)
