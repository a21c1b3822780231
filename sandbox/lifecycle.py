"""The case lifecycle, driven by the sandbox clock: invoice -> reminder -> debt collection -> closed.

Each open case has a plan: when its next transition is due and how it ends. The end is fixed by a
hash of the case id and the sandbox seed, so a run is reproducible: 45 % are paid at the invoice
stage, 20 % after the reminder, 15 % in debt collection, 15 % are written off, 5 % end in bankruptcy.
A respite postpones the next transition to the respite date. Transitions run when the clock is
advanced (`POST /_sandbox/clock/advance`), never on their own, so tests control time.
"""

from __future__ import annotations

import hashlib
import heapq
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox import cases, finance
from sandbox.store import CasePlan, Store

#: Days after the due date before a reminder is sent.
INVOICE_GRACE_DAYS = 7
#: Days a case stays in reminder before debt collection.
REMINDER_DAYS = 14
#: Days in debt collection before the case ends (paid, written off or bankruptcy).
COLLECTION_DAYS = 30
#: Statutory fees (amili.se "Processen"): reminder 60 SEK, collection demand 180 SEK.
REMINDER_FEE = Decimal("60.00")
COLLECTION_FEE = Decimal("180.00")
#: Yearly interest on overdue capital (reference rate + 8 %, reference rate taken as 2 %).
INTEREST_RATE = Decimal("0.10")

STAGES = ("invoice", "reminder", "debt_collection")
_STAGE_DAYS = {"invoice": INVOICE_GRACE_DAYS, "reminder": REMINDER_DAYS, "debt_collection": COLLECTION_DAYS}
#: (upper bound of the hash bucket out of 100, stage at whose end the case closes, reason)
_OUTCOMES = (
    (45, "invoice", "paid"),
    (65, "reminder", "paid"),
    (80, "debt_collection", "paid"),
    (95, "debt_collection", "written_off"),
    (100, "debt_collection", "bankruptcy"),
)


def outcome(case_id: str, rng_seed: int) -> str:
    """`<stage>:<reason>` for a case, deterministic from its id and the seed."""
    digest = hashlib.blake2b(f"{rng_seed}:{case_id}".encode(), digest_size=8).digest()
    bucket = int.from_bytes(digest, "big") % 100
    for bound, stage, reason in _OUTCOMES:
        if bucket < bound:
            return f"{stage}:{reason}"
    raise AssertionError("unreachable")


def plan_case(store: Store, case: dict[str, Any], start: datetime, outlay: Decimal = cases.ZERO) -> None:
    """Give a new case its plan: the first transition falls `start` + the stage's days."""
    store.plans[case["_id"]] = CasePlan(
        next_at=start + timedelta(days=_STAGE_DAYS[case["state"]]),
        outcome=outcome(case["_id"], store.rng_seed),
        outlay=outlay,
    )


def enter_stage(store: Store, case: dict[str, Any], stage: str) -> None:
    """Move into a collection stage, charging its fee."""
    if stage == "reminder":
        cases.add(case, "costs", REMINDER_FEE)
    elif stage == "debt_collection":
        cases.add(case, "costs", COLLECTION_FEE)
    if case["state"] != stage:
        cases.move(store, case, stage)


def tick(store: Store, since: datetime | None = None) -> int:
    """Run every transition that is due by the clock, in time order; returns how many ran.

    Each transition is stamped at its scheduled time, but never before `since` (the clock before
    it was advanced): a poller's `_updated` watermark from before the advance still sees them all.
    """
    now = store.clock.now()
    floor = since or now
    due = [(plan.next_at, case_id) for case_id, plan in store.plans.items() if plan.next_at <= now]
    heapq.heapify(due)
    ran = 0
    try:
        while due:
            at, case_id = heapq.heappop(due)
            plan, case = store.plans.get(case_id), store.docs["cases"].get(case_id)
            if plan is None or case is None or plan.next_at != at:
                continue
            if plan.respite_until is not None and plan.respite_until > plan.next_at:
                plan.next_at = plan.respite_until
            else:
                store.frozen_now = max(at, floor)
                _step(store, case, plan)
                ran += 1
            if case_id in store.plans and plan.next_at <= now:
                heapq.heappush(due, (plan.next_at, case_id))
    finally:
        store.frozen_now = None
    finance.run_payouts(store)
    return ran


def _step(store: Store, case: dict[str, Any], plan: CasePlan) -> None:
    stage, reason = plan.outcome.split(":")
    current = case["state"]
    _accrue_interest(case, days=_STAGE_DAYS[current])
    if STAGES.index(current) >= STAGES.index(stage):
        if reason == "paid":
            finance.collect(store, case, plan.outlay)
        cases.close(store, case, reason)
        return
    following = STAGES[STAGES.index(current) + 1]
    enter_stage(store, case, following)
    plan.next_at = plan.next_at + timedelta(days=_STAGE_DAYS[following])


def _accrue_interest(case: dict[str, Any], days: int) -> None:
    if case["state"] == "invoice":
        return  # interest runs from the due date; the invoice stage ends just after it
    interest = case["local_remaining_capital_amount"] * INTEREST_RATE * days / 365
    if interest > 0:
        cases.add(case, "interest", interest)


def postpone(store: Store, case_id: str, until: datetime) -> None:
    """A respite: no transition happens before `until`."""
    plan = store.plans.get(case_id)
    if plan is not None:
        plan.respite_until = until
