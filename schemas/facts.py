"""Outbound facts the pollers publish: open case snapshots, closed cases, payout lines, revenue.

Amili has no webhooks, so pollers read it and publish these. Keys follow the same rule as the
inbound events (`<Amili creditor id>:<invoice number>`), so a consumer sees a claim's whole story
on one partition. Open string fields (`state`, `status`, `article`) stay open: Amili's enums are
not fully documented and a new value must not stop the export. A closure reason the contract does
not know is `other`, with Amili's raw value beside it (`amili_reason`): every closed case is published.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, Field

from schemas.common import EventData
from schemas.keys import build_key
from schemas.rules import ClosureReason
from schemas.types import AmiliId, Amount, Currency, Reference, ShortText, SignedAmount


class CaseFact(EventData):
    creditor: AmiliId = Field(description="Amili creditor _id.")
    case_id: AmiliId
    case_url: str = Field(max_length=500, description="Deep link into the Amili App (use case 13).")
    invoice_number: Reference
    reference_number: str | None = Field(default=None, max_length=32, description="OCR reference.")
    currency: Currency = "SEK"

    def aggregate_key(self) -> str:
        return build_key(self.creditor, self.invoice_number)


class OpenCaseSnapshot(CaseFact):
    """Use case 5 (export_open_cases): one open case as Amili saw it at `snapshot_time`."""

    state: ShortText
    status: ShortText
    latest_state_date: date | None = None
    remaining_capital: SignedAmount
    remaining_interest: SignedAmount
    remaining_costs: SignedAmount
    remaining_total: SignedAmount
    snapshot_time: AwareDatetime


class CaseClosed(CaseFact):
    """Use case 6 (export_closed_cases): a case closed, and why (a loss reason means write it off)."""

    reason: ClosureReason | Literal["other"] = Field(
        description="paid, written_off, bankruptcy, cancelled (withdrawn), credited; `other` for a reason Amili "
        "sent that the contract does not know (its raw value is in `amili_reason`)."
    )
    amili_reason: str | None = Field(
        default=None, max_length=100, description="Amili's closure reason as sent, when `reason` is `other`."
    )
    closed_date: date
    remaining_capital: SignedAmount = Field(description="Capital still unpaid at closure (the loss, if any).")


class PayoutSpecified(EventData):
    """Use case 11 (export_payout_specifications): one settled line of a payout, for reconciliation."""

    specification_id: AmiliId
    creditor: AmiliId
    payout_id: AmiliId | None = Field(default=None, description="The parent payout, once scheduled.")
    payout_reference: str | None = Field(default=None, max_length=64)
    payout_date: date | None = None
    booking_date: date
    invoice_number: Reference | None = None
    reference_number: str | None = Field(default=None, max_length=32)
    finance_category: ShortText = Field(description="capital, creditor_outlay, interest, creditor_commission.")
    article: ShortText = Field(description="capital, interest, reminder, debt_collection, invoice_fee, ...")
    state: ShortText | None = Field(default=None, description="The case state when the line was booked.")
    currency: Currency = "SEK"
    amount: SignedAmount
    vat_amount: SignedAmount
    total_amount: SignedAmount

    def aggregate_key(self) -> str:
        return build_key(self.creditor, self.invoice_number or self.specification_id)


class RevenueReported(EventData):
    """Use case 12 (track_revenue): interest and commission of one payout."""

    payout_id: AmiliId
    creditor: AmiliId
    payout_reference: str | None = Field(default=None, max_length=64)
    payout_date: date | None = None
    currency: Currency = "SEK"
    interest: Amount
    commission: SignedAmount = Field(description="creditor_commission (usually what Amili keeps).")
    vat_amount: SignedAmount | None = Field(default=None, description="VAT on the commission.")
    by_article: dict[ShortText, SignedAmount] = Field(default_factory=dict, description="The payout summary.")

    def aggregate_key(self) -> str:
        return build_key(self.creditor, self.payout_id)
