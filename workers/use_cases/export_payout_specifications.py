"""Use case 11: one fact per settled line once Amili has paid it out, for invoice-level reconciliation.

A finance category, article or case state the fleet does not know is published as sent, logged and
counted by field name: a new kind of line is news for reconciliation, never a reason to drop it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

from schemas.catalog import POLLERS
from schemas.facts import PayoutSpecified
from workers.amili import assumptions
from workers.amili.models import PayoutSpecification
from workers.runtime.polling import Fact, PollContext, poller
from workers.use_cases.incremental import updated_after

SPEC = POLLERS["export_payout_specifications"]
ZERO = Decimal("0.00")


def payout_specified(row: PayoutSpecification, ctx: PollContext) -> PayoutSpecified:
    # Amili books every line; `_created` is the same moment when a projection left booking_date out.
    booked = row.booking_date or row.created or row.updated
    assert booked is not None
    ctx.known("finance_category", row.finance_category, assumptions.KNOWN_FINANCE_CATEGORIES)
    ctx.known("article", row.article, assumptions.KNOWN_ARTICLES)
    ctx.known("state", row.state, assumptions.KNOWN_CASE_STATES)
    return PayoutSpecified(
        specification_id=row.id,
        creditor=row.creditor or "",
        payout_id=row.payout,
        payout_reference=row.payout_reference,
        payout_date=row.payout_date.date() if row.payout_date else None,
        booking_date=booked.date(),
        invoice_number=row.invoice_number,
        reference_number=row.reference_number,
        finance_category=row.finance_category or "unknown",
        article=row.article or "unknown",
        state=row.state,
        amount=row.amount or ZERO,
        vat_amount=row.vat_amount or ZERO,
        total_amount=row.total_amount or ZERO,
    )


@poller(SPEC.name, publishes=SPEC.topic, every_seconds=900, watches=("finance_category", "article", "state"))
async def export_payout_specifications(ctx: PollContext) -> AsyncIterator[Fact]:
    """Lines are reported when they join a payout (`payout` set), once each: the fact id is the line id."""
    where = {"payout": {"$ne": None}}
    async for row, cursor in updated_after(ctx.amili.iter_payout_specifications, where, ctx.watermark):
        ctx.next_watermark = cursor
        yield ctx.fact(SPEC.event_type, payout_specified(row, ctx), natural_id=row.id)
