"""Use case 12: interest and commission per payout, at summary level, from Amili's payouts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from schemas.catalog import POLLERS
from schemas.facts import RevenueReported
from workers.amili.models import Payout
from workers.runtime.polling import Fact, PollContext, poller
from workers.use_cases.incremental import updated_after

SPEC = POLLERS["track_revenue"]
#: Revenue is what Amili pays out as interest, and the commission on collected fees.
CATEGORIES = ("interest", "creditor_commission")
ZERO = Decimal("0.00")


def by_article(summary: Any) -> dict[str, Decimal]:
    """Payout `summary` is {article: {"amount": ...}} (shape partly UNKNOWN; other shapes give {})."""
    if not isinstance(summary, dict):
        return {}
    result: dict[str, Decimal] = {}
    for article, line in summary.items():
        amount = line.get("amount") if isinstance(line, dict) else line
        if isinstance(amount, Decimal | int):
            result[str(article)] = Decimal(amount)
    return result


def revenue(payout: Payout) -> RevenueReported:
    amount = payout.amount or ZERO
    is_interest = payout.finance_category == "interest"
    return RevenueReported(
        payout_id=payout.id,
        creditor=payout.creditor or "",
        payout_reference=payout.payout_reference,
        payout_date=payout.payout_date.date() if payout.payout_date else None,
        interest=amount if is_interest else ZERO,
        commission=ZERO if is_interest else amount,
        vat_amount=None if is_interest else payout.vat_amount,
        by_article=by_article(payout.summary),
    )


@poller(SPEC.name, publishes=SPEC.topic, every_seconds=3600)
async def track_revenue(ctx: PollContext) -> AsyncIterator[Fact]:
    where = {"finance_category": {"$in": list(CATEGORIES)}}
    async for payout, cursor in updated_after(ctx.amili.iter_payouts, where, ctx.watermark):
        ctx.next_watermark = cursor
        yield ctx.fact(SPEC.event_type, revenue(payout), natural_id=payout.id)
