"""Every Amili fact is accounted for: unknown values are published and counted, and no page shift skips a case.

The sandbox plays Amili doing what none of its endpoints does (closing a case for a reason nobody
documented, a state beyond the values seen); the client and the pollers are the real ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from sandbox import cases as sandbox_cases
from tests.use_cases.conftest import Rig, open_case
from workers.amili.models import PayoutSpecification
from workers.runtime.polling import PollContext
from workers.use_cases.export_closed_cases import export_closed_cases
from workers.use_cases.export_open_cases import export_open_cases
from workers.use_cases.export_payout_specifications import payout_specified

pytestmark = pytest.mark.anyio


def _context(poller: Any, amili: Any, unknown: list[tuple[str, str]]) -> PollContext:
    return PollContext(poller.__name__, amili, None, on_unknown=lambda p, f: unknown.append((p, f)))


async def test_a_case_closed_for_an_unknown_reason_is_published_as_other_with_amilis_value(rig: Rig):
    _, known_id = await open_case(rig)
    _, withdrawn_id = await open_case(rig)
    store = rig.sandbox.store
    sandbox_cases.close(store, store.get("cases", known_id), "paid")
    sandbox_cases.close(store, store.get("cases", withdrawn_id), "withdrawn")

    unknown: list[tuple[str, str]] = []
    ctx = _context(export_closed_cases, rig.amili, unknown)
    facts = {f.event.data["case_id"]: f.event.data async for f in export_closed_cases(ctx)}
    assert (facts[known_id]["reason"], facts[known_id].get("amili_reason")) == ("paid", None)
    assert (facts[withdrawn_id]["reason"], facts[withdrawn_id]["amili_reason"]) == ("other", "withdrawn")
    assert unknown == [("export_closed_cases", "closed.reason")]  # the field's name, never the value
    assert ctx.next_watermark is not None


async def test_an_unknown_case_state_is_published_as_sent_and_counted(rig: Rig):
    _, case_id = await open_case(rig)
    case = rig.sandbox.store.get("cases", case_id)
    case["state"] = "payment_order"  # a Kronofogden stage: its name is not documented
    rig.sandbox.store.touch(case)

    unknown: list[tuple[str, str]] = []
    facts = [f async for f in export_open_cases(_context(export_open_cases, rig.amili, unknown))]
    assert [f.event.data["state"] for f in facts if f.event.data["case_id"] == case_id] == ["payment_order"]
    assert unknown == [("export_open_cases", "state")]


def test_an_unknown_payout_article_or_category_is_published_as_sent_and_counted():
    row = PayoutSpecification.model_validate(
        {
            "_id": "5f0000000000000000000001",
            "creditor": "5f0000000000000000000002",
            "booking_date": "Mon, 02 Mar 2026 10:00:00 GMT",
            "finance_category": "court_costs",
            "article": "enforcement_fee",
            "state": "enforcement",
            "amount": "10.00",
            "vat_amount": "0.00",
            "total_amount": "10.00",
        }
    )
    unknown: list[tuple[str, str]] = []
    ctx = PollContext("export_payout_specifications", None, None, on_unknown=lambda p, f: unknown.append((p, f)))
    fact = payout_specified(row, ctx)
    assert (fact.finance_category, fact.article, fact.state) == ("court_costs", "enforcement_fee", "enforcement")
    assert fact.total_amount == Decimal("10.00")
    assert [f for _, f in unknown] == ["finance_category", "article", "state"]


def _copy(value: Any) -> Any:
    """A case's field, its lists and maps copied (history is appended to), its stamps as they are."""
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


class _ClosingMidExport:
    """The Amili client, but the first page of the open-case export closes some of the cases it listed,
    as Amili's lifecycle does while an export runs."""

    def __init__(self, rig: Rig, close: int) -> None:
        self.rig = rig
        self.close = close
        self.closed: list[str] = []

    def deep_link(self, case_id: str) -> str:
        return str(self.rig.amili.deep_link(case_id))

    async def iter_cases(self, **query: Any) -> AsyncIterator[Any]:
        seen = 0
        async for case in self.rig.amili.iter_cases(**query):
            seen += 1
            if seen == query.get("page_size", 100) and not self.closed:  # the first page is in
                store = self.rig.sandbox.store
                for doc in sorted(store.docs["cases"])[: self.close]:
                    sandbox_cases.close(store, store.docs["cases"][doc], "paid")
                    self.closed.append(doc)
            yield case


async def test_the_open_case_export_pages_by_keyset_so_cases_closing_mid_export_skip_nothing(rig: Rig):
    _, first = await open_case(rig)
    store = rig.sandbox.store
    template = store.get("cases", first)
    for _ in range(149):  # 150 open cases: two pages of Amili's largest size
        store.insert("cases", {k: _copy(v) for k, v in template.items() if not k.startswith("_")})
    amili = _ClosingMidExport(rig, close=20)
    facts = [f async for f in export_open_cases(_context(export_open_cases, amili, []))]
    assert amili.closed, "the export should have read more than one page"
    still_open = {i for i, doc in store.docs["cases"].items() if doc.get("closed") is None}
    exported = {f.event.data["case_id"] for f in facts}
    assert still_open - exported == set()
    assert len(exported) == len(facts)  # and none twice
