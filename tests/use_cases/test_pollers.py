"""The pollers against the sandbox: every closed case, payout line and payout once, ids stable across runs."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.use_cases.conftest import open_case
from workers.runtime.polling import PollContext
from workers.use_cases.cancel_case import cancel_case
from workers.use_cases.export_closed_cases import export_closed_cases
from workers.use_cases.export_open_cases import export_open_cases
from workers.use_cases.export_payout_specifications import export_payout_specifications
from workers.use_cases.register_payment import register_payment
from workers.use_cases.track_revenue import track_revenue

pytestmark = pytest.mark.anyio


async def run(poller, rig, watermark=None):
    ctx = PollContext(poller.__name__, rig.amili, watermark)
    facts = [fact async for fact in poller(ctx)]
    return facts, ctx.next_watermark


async def advance(rig, days: int) -> None:
    (await rig.control.post("/_sandbox/clock/advance", json={"days": days})).raise_for_status()


async def test_closed_cases_are_exported_once_with_their_reason(rig):
    paid, _ = await open_case(rig)
    cancelled, _ = await open_case(rig)
    await open_case(rig)  # stays open
    total = paid.total_amount_excluding_vat + paid.total_vat
    await register_payment(rig.traffic.payment(paid.creditor, paid.invoice_number, total), rig.context("p"))
    await cancel_case(rig.traffic.cancellation(cancelled.creditor, cancelled.invoice_number), rig.context("c"))

    facts, watermark = await run(export_closed_cases, rig)
    reasons = {fact.event.data["invoice_number"]: fact.event.data["reason"] for fact in facts}
    assert reasons == {paid.invoice_number: "paid", cancelled.invoice_number: "cancelled"}
    assert all(
        fact.key == f"{paid.creditor.id}:{fact.event.data['invoice_number']}"
        for fact in facts
        if fact.event.data["creditor"] == paid.creditor.id
    )
    assert all(
        fact.event.data["case_url"].startswith("http://sandbox.local/app/open?resource=cases&id=") for fact in facts
    )

    # The next run starts at the watermark: nothing new, nothing repeated.
    again, _ = await run(export_closed_cases, rig, watermark)
    assert again == []

    # Re-running from scratch repeats the same facts under the same ids (never new ids).
    replay, _ = await run(export_closed_cases, rig)
    assert sorted(f.event.id for f in replay) == sorted(f.event.id for f in facts)

    later, _ = await open_case(rig)
    await cancel_case(rig.traffic.cancellation(later.creditor, later.invoice_number), rig.context("c"))
    news, _ = await run(export_closed_cases, rig, watermark)
    assert [fact.event.data["invoice_number"] for fact in news] == [later.invoice_number]


async def test_open_case_snapshot_ids_change_only_when_the_case_changes(rig):
    invoice, case_id = await open_case(rig)
    first, _ = await run(export_open_cases, rig)
    second, _ = await run(export_open_cases, rig)
    assert {f.event.id for f in first} == {f.event.id for f in second}
    mine = [f for f in first if f.event.data["case_id"] == case_id]
    assert len(mine) == 1
    assert Decimal(str(mine[0].event.data["remaining_total"])) == invoice.total_amount_excluding_vat + invoice.total_vat
    assert invoice.customer.name not in str(mine[0].event.data)

    await register_payment(
        rig.traffic.payment(invoice.creditor, invoice.invoice_number, Decimal("1.00")), rig.context("p")
    )
    third, _ = await run(export_open_cases, rig)
    changed = [f for f in third if f.event.data["case_id"] == case_id]
    assert changed[0].event.id != mine[0].event.id


async def test_payout_lines_and_revenue_follow_the_lifecycle(rig):
    for _ in range(12):
        await open_case(rig)
    # Through reminder and debt collection to closure; then a full week passes for the payouts.
    for _ in range(10):
        await advance(rig, 30)
    lines, line_mark = await run(export_payout_specifications, rig)
    assert lines, "the lifecycle should have collected some cases"
    assert {f.event.data["finance_category"] for f in lines} >= {"capital"}
    assert all(f.event.data["payout_id"] for f in lines)
    assert len({f.event.id for f in lines}) == len(lines)
    assert (await run(export_payout_specifications, rig, line_mark))[0] == []

    revenue, revenue_mark = await run(track_revenue, rig)
    assert revenue
    assert all(Decimal(str(f.event.data["interest"])) >= 0 for f in revenue)
    assert any(
        Decimal(str(f.event.data["interest"])) > 0 or Decimal(str(f.event.data["commission"])) > 0 for f in revenue
    )
    assert (await run(track_revenue, rig, revenue_mark))[0] == []
