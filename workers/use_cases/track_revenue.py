"""Use case 12: interest and commission per payout, at summary level, from Amili's payouts.

A summary line of a shape the fleet cannot read, or an article it does not know, is logged and
counted (`summary`, `summary.article`), never dropped without a trace.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from schemas.catalog import POLLERS
from schemas.facts import RevenueReported
from workers.amili import assumptions
from workers.amili.models import Payout
from workers.runtime.polling import Fact, PollContext, poller
from workers.use_cases.incremental import updated_after

SPEC = POLLERS["track_revenue"]
#: Revenue is what Amili pays out as interest, and the commission on collected fees.
CATEGORIES = ("interest", "creditor_commission")
ZERO = Decimal("0.00")


def by_article(summary: Any, ctx: PollContext | None = None) -> dict[str, Decimal]:
    """Payout `summary` is {article: {"amount": ...}} (shape partly UNKNOWN; other shapes give {}, counted)."""
    if summary is None:
        return {}
    if not isinstance(summary, dict):
        _unknown(ctx, "summary", type(summary).__name__)
        return {}
    result: dict[str, Decimal] = {}
    for article, line in summary.items():
        amount = line.get("amount") if isinstance(line, dict) else line
        if isinstance(amount, Decimal | int):
            result[str(article)] = Decimal(amount)
            if ctx is not None:
                ctx.known("summary.article", str(article), assumptions.KNOWN_ARTICLES)
        else:
            _unknown(ctx, "summary", f"line of {type(line).__name__}")
    return result


def _unknown(ctx: PollContext | None, field: str, what: str) -> None:
    if ctx is not None:
        ctx.known(field, what, ())


def revenue(payout: Payout, ctx: PollContext | None = None) -> RevenueReported:
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
        by_article=by_article(payout.summary, ctx),
    )


@poller(SPEC.name, publishes=SPEC.topic, every_seconds=3600, watches=("summary", "summary.article"))
async def track_revenue(ctx: PollContext) -> AsyncIterator[Fact]:
    where = {"finance_category": {"$in": list(CATEGORIES)}}
    async for payout, cursor in updated_after(ctx.amili.iter_payouts, where, ctx.watermark):
        ctx.next_watermark = cursor
        yield ctx.fact(SPEC.event_type, revenue(payout, ctx), natural_id=payout.id)
