"""Finance data: payout specification rows when money is collected, payouts per finished period.

When Amili collects a case (the debtor pays Amili), one specification row per settled part is
booked at once: capital, interest, the creditor's commission on collected fees, and the creditor's
outlay (fees the creditor had already claimed, handed back). Rows are gathered into one payout per
creditor, finance category and calendar week once that week is over, carrying a `summary` by article.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox.cases import ZERO, money, settle
from sandbox.dates import Rfc1123
from sandbox.store import Store

#: The creditor's share of collected reminder and collection fees (Amili's real terms vary per agreement).
COMMISSION_SHARE = Decimal("0.25")
#: VAT charged on commission (Swedish standard rate); capital and interest carry none.
COMMISSION_VAT = Decimal("0.25")


def collect(store: Store, case: dict[str, Any], outlay: Decimal = ZERO) -> list[dict[str, Any]]:
    """The debtor paid Amili everything remaining: settle the case and book specification rows.

    `outlay` is what the creditor had already claimed in fees before handing the case over.
    """
    rows: list[tuple[str, str, Decimal, Decimal]] = []
    costs = settle(case, "costs", case["local_remaining_costs_amount"])
    interest = settle(case, "interest", case["local_remaining_interest_amount"])
    capital = settle(case, "capital", case["local_remaining_capital_amount"])
    if capital > 0:
        rows.append(("capital", "capital", capital, ZERO))
    if interest > 0:
        rows.append(("interest", "interest", interest, ZERO))
    fees = costs - min(outlay, costs)
    if fees > 0:
        article = "debt_collection" if case["state"] == "debt_collection" else "reminder"
        commission = money(fees * COMMISSION_SHARE)
        rows.append(("creditor_commission", article, commission, money(commission * COMMISSION_VAT)))
    if outlay > 0 and costs > 0:
        rows.append(("creditor_outlay", "reminder", min(outlay, costs), ZERO))
    return [_book(store, case, *row) for row in rows]


def _book(
    store: Store, case: dict[str, Any], category: str, article: str, amount: Decimal, vat: Decimal
) -> dict[str, Any]:
    creditor = store.get("creditors", case["creditor"]) or {}
    row = store.insert(
        "finance--payout-specifications",
        {
            "creditor": case["creditor"],
            "creditor_name": creditor.get("name"),
            "case": case["_id"],
            "currency": "SEK",
            "amount": amount,
            "vat_amount": vat,
            "total_amount": money(amount + vat),
            "article": article,
            "state": case["state"],
            "booking_date": store.now(),
            "finance_category": category,
            "invoice_number": case["debt"]["invoice_number"],
            "reference_number": case.get("reference_number"),
            "payout_reference": case["debt"].get("payout_reference"),
            "payout_date": None,
            "payout": None,
        },
    )
    store.ledger.record(
        "payout_specification",
        time=row["_created"],
        creditor=row["creditor"],
        natural_key=None,
        ids={"payout_specification": row["_id"], "finance_category": category},
        case=case["_id"],
    )
    return row


def _week(moment: datetime) -> tuple[datetime, datetime]:
    start = (moment - timedelta(days=moment.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=7)


def run_payouts(store: Store) -> list[dict[str, Any]]:
    """Gather unpaid rows of finished weeks into payouts; returns the payouts created."""
    now = store.clock.now()
    groups: dict[tuple[str, str, datetime], list[dict[str, Any]]] = defaultdict(list)
    for row in store.docs["finance--payout-specifications"].values():
        if row["payout"] is None:
            start, end = _week(row["booking_date"].dt)
            if end <= now:
                groups[(row["creditor"], row["finance_category"], start)].append(row)
    created = []
    for (creditor_id, category, start), rows in sorted(groups.items(), key=lambda g: (g[0][2], g[0][0], g[0][1])):
        created.append(_pay_out(store, creditor_id, category, start, rows))
    return created


def _pay_out(
    store: Store, creditor_id: str, category: str, start: datetime, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    summary: dict[str, dict[str, Decimal]] = {}
    for row in rows:
        line = summary.setdefault(row["article"], {"amount": ZERO, "vat_amount": ZERO, "total_amount": ZERO})
        for field in line:
            line[field] = money(line[field] + row[field])
    creditor = store.get("creditors", creditor_id) or {}
    payout_date = store.now()
    reference = f"P{creditor.get('creditor_number', 0)}-{start:%G%V}-{category[:3].upper()}"
    payout = store.insert(
        "finance--payouts",
        {
            "creditor": creditor_id,
            "creditor_name": creditor.get("name"),
            "currency": "SEK",
            "finance_category": category,
            "finance_interval": {"start": Rfc1123(start), "end": Rfc1123(start + timedelta(days=7))},
            "payout_date": payout_date,
            "payout_reference": reference,
            "status": "paid",
            "amount": money(sum((r["amount"] for r in rows), ZERO)),
            "vat_amount": money(sum((r["vat_amount"] for r in rows), ZERO)),
            "total_amount": money(sum((r["total_amount"] for r in rows), ZERO)),
            "summary": summary,
            "number_of_specifications": len(rows),
        },
    )
    for row in rows:
        row["payout"] = payout["_id"]
        row["payout_date"] = payout_date
        row["payout_reference"] = row["payout_reference"] or reference
        store.touch(row)
    store.ledger.record(
        "payout",
        time=payout_date,
        creditor=creditor_id,
        natural_key=None,
        ids={"payout": payout["_id"], "finance_category": category},
    )
    return payout
