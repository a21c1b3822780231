"""Use case 6: every case that closed since the last run, with the reason (paid leads to a payout; a
loss reason, written off, bankruptcy, cancelled, means write the claim off upstream).

Every closed case is published: a reason the contract does not know (Amili's are not documented) goes
out as `other` with Amili's raw value, and is logged and counted (`closed.reason`), so upstream sees
the case and decides; a missing reason is `other` without a value. Never skipped past by the watermark.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import cast

from schemas.catalog import POLLERS
from schemas.facts import CaseClosed
from workers.amili import assumptions
from workers.amili.assumptions import ClosureReason
from workers.amili.models import Case, CaseClosure
from workers.runtime.polling import Fact, PollContext, poller
from workers.use_cases.incremental import updated_after

SPEC = POLLERS["export_closed_cases"]


def case_closed(case: Case, ctx: PollContext) -> CaseClosed:
    closed = case.closed
    assert closed is not None
    raw = closed.reason or ""  # a missing reason is as unknown as a new one
    known = ctx.known("closed.reason", raw, assumptions.CLOSURE_REASONS)
    closed_at = closed.closed_date or case.updated
    return CaseClosed(
        creditor=case.creditor or "",
        case_id=case.id,
        case_url=ctx.amili.deep_link(case.id),
        invoice_number=(case.debt.invoice_number if case.debt else None) or case.id,
        reference_number=case.reference_number,
        reason=cast(ClosureReason, raw) if known else "other",
        amili_reason=None if known or not raw else raw[:100],
        closed_date=closed_at.date() if closed_at else ctx.now.date(),
        remaining_capital=case.local_remaining_capital_amount or Decimal("0.00"),
    )


@poller(SPEC.name, publishes=SPEC.topic, every_seconds=300, watches=("closed.reason",))
async def export_closed_cases(ctx: PollContext) -> AsyncIterator[Fact]:
    """A case closes once, so its fact id is the case id: re-runs repeat it under the same id."""
    where = {"state": assumptions.CLOSED_STATE}
    async for case, cursor in updated_after(ctx.amili.iter_cases, where, ctx.watermark):
        ctx.next_watermark = cursor
        if case.closed is None:
            # `state: closed` without the closure structure: still a closed case, its reason unknown.
            case = case.model_copy(update={"closed": CaseClosure()})
        yield ctx.fact(SPEC.event_type, case_closed(case, ctx), natural_id=case.id)
