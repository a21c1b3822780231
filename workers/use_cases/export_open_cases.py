"""Use case 5: a snapshot of every open case per run, for reporting and reconciliation upstream.

A snapshot's id is derived from the case and its ETag: an unchanged case gets the same id on the next
run, a changed one a new id, so consumers can tell a repeat from news. Pages are read by keyset on `_id`
(`incremental.by_id`), so a case closing mid-export does not shift the pages and skip another. A state
the fleet does not know is published as sent, logged and counted (`state`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

from schemas.catalog import POLLERS
from schemas.facts import OpenCaseSnapshot
from workers.amili import assumptions
from workers.amili.models import Case
from workers.runtime.polling import Fact, PollContext, poller
from workers.use_cases.incremental import by_id

SPEC = POLLERS["export_open_cases"]
#: No debtor data: the snapshot describes the claim, not the person.
PROJECTION = {
    "_id": 1,
    "_etag": 1,
    "creditor": 1,
    "state": 1,
    "status": 1,
    "latest_state_date": 1,
    "reference_number": 1,
    "debt.invoice_number": 1,
    "local_remaining_capital_amount": 1,
    "local_remaining_interest_amount": 1,
    "local_remaining_costs_amount": 1,
}
ZERO = Decimal("0.00")


def snapshot(case: Case, ctx: PollContext) -> OpenCaseSnapshot:
    capital = case.local_remaining_capital_amount or ZERO
    interest = case.local_remaining_interest_amount or ZERO
    costs = case.local_remaining_costs_amount or ZERO
    return OpenCaseSnapshot(
        creditor=case.creditor or "",
        case_id=case.id,
        case_url=ctx.amili.deep_link(case.id),
        invoice_number=(case.debt.invoice_number if case.debt else None) or case.id,
        reference_number=case.reference_number,
        state=case.state or "unknown",
        status=case.status or "unknown",
        latest_state_date=case.latest_state_date.date() if case.latest_state_date else None,
        remaining_capital=capital,
        remaining_interest=interest,
        remaining_costs=costs,
        remaining_total=capital + interest + costs,
        snapshot_time=ctx.now,
    )


@poller(SPEC.name, publishes=SPEC.topic, every_seconds=3600, watches=("state",))
async def export_open_cases(ctx: PollContext) -> AsyncIterator[Fact]:
    async for case in by_id(ctx.amili.iter_cases, assumptions.OPEN_CASES_WHERE, projection=PROJECTION):
        ctx.known("state", case.state, assumptions.KNOWN_CASE_STATES)
        yield ctx.fact(SPEC.event_type, snapshot(case, ctx), natural_id=f"{case.id}@{case.etag}")
