"""Inbound registrations: InvoiceIssued (full-service, use case 1) and ClaimHandedOver (collection-only, 2).

Field names follow Amili's registration bodies (reference 4.1, 4.2) so the workers map them one to one;
dates are ISO dates here and become RFC 1123 strings at the Amili client. Totals are checked: each line's
`total_price_excluding_vat` is unit price x units, and the invoice totals add up.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from pydantic import Field, model_validator

from schemas.common import CreditorRef, Customer, EventData, Model
from schemas.errors import fail
from schemas.keys import build_key
from schemas.types import (
    Amount,
    Currency,
    LongText,
    Name,
    OcrReference,
    PositiveAmount,
    Reference,
    SignedAmount,
    Text,
    VatPercent,
)

_CENT = Decimal("0.01")
#: Öre rounding on a Swedish invoice is below one krona.
_MAX_ROUNDING = Decimal("0.99")


def _cents(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


class InvoiceLine(Model):
    """One row of Amili's invoice `matrix`."""

    article_number: Reference | None = None
    article_description: Name
    unit_price: SignedAmount
    number_of_units: Decimal = Field(gt=0, le=1_000_000, decimal_places=3)
    total_price_excluding_vat: SignedAmount
    unit_vat_percent: VatPercent

    @model_validator(mode="after")
    def _line_total(self) -> InvoiceLine:
        if _cents(self.unit_price * self.number_of_units) != self.total_price_excluding_vat:
            raise fail("total_price_excluding_vat", "line_total", "must equal unit_price x number_of_units (öre)")
        return self


class InvoiceIssued(EventData):
    """Use case 1 (register_invoice): an invoice Amili sends, follows up and collects (full-service)."""

    creditor: CreditorRef
    invoice_number: Reference
    invoice_type: Literal["invoice"] = "invoice"
    reference_number: OcrReference | None = Field(default=None, description="OCR; Amili generates one if absent.")
    payout_reference: Reference | None = None
    invoice_date: date
    invoice_due_date: date
    invoice_delivery_date: date | None = None
    currency: Currency = "SEK"
    invoice_headline: Name | None = None
    invoice_body_text: LongText | None = None
    your_contact: Name | None = None
    your_reference: Name | None = None
    our_reference: Name | None = None
    debt_description: Text | None = None
    customer: Customer
    lines: list[InvoiceLine] = Field(min_length=1, max_length=500, description="Amili's `matrix`.")
    total_amount_excluding_vat: Amount
    total_vat: Amount
    amount_rounding: SignedAmount = Decimal("0.00")
    total_amount_including_vat: PositiveAmount

    def aggregate_key(self) -> str:
        return build_key(self.creditor.id, self.invoice_number)

    @model_validator(mode="after")
    def _consistent(self) -> InvoiceIssued:
        if self.invoice_due_date < self.invoice_date:
            raise fail("invoice_due_date", "due_before_invoice", "the due date is before the invoice date")
        if self.total_amount_excluding_vat != sum((line.total_price_excluding_vat for line in self.lines), Decimal(0)):
            raise fail("total_amount_excluding_vat", "total_mismatch", "must equal the sum of the lines")
        vat = sum((line.total_price_excluding_vat * line.unit_vat_percent / 100 for line in self.lines), Decimal(0))
        # Upstream systems round VAT per line or per rate; allow one öre per line either way.
        if abs(self.total_vat - vat) > _CENT * len(self.lines):
            raise fail("total_vat", "total_mismatch", "does not match the lines' VAT")
        if abs(self.amount_rounding) > _MAX_ROUNDING:
            raise fail("amount_rounding", "max_value", "öre rounding is below one krona")
        if self.total_amount_including_vat != self.total_amount_excluding_vat + self.total_vat + self.amount_rounding:
            raise fail(
                "total_amount_including_vat",
                "total_mismatch",
                "must equal total_amount_excluding_vat + total_vat + amount_rounding",
            )
        return self


class ReminderFee(Model):
    amount: PositiveAmount
    fee_registration_date: date


class FeesAlreadyClaimed(Model):
    """Fees the creditor already charged the debtor (e.g. a 60 SEK reminder fee)."""

    reminder: ReminderFee


class FeesIncluded(Model):
    """Fees already inside `capital_to_claim`."""

    invoice_fee: PositiveAmount


class Debt(Model):
    """One unpaid invoice; Amili makes each debt its own case."""

    invoice_number: Reference
    debt_description: Text | None = None
    invoice_date: date
    invoice_due_days_after_invoice_date: int = Field(ge=0, le=365)
    capital_to_claim: PositiveAmount
    reference_number: OcrReference | None = None
    payout_reference: Reference | None = None
    fees_included_in_capital_to_claim: FeesIncluded | None = None
    fees_already_claimed: FeesAlreadyClaimed | None = None

    @model_validator(mode="after")
    def _fee_date(self) -> Debt:
        fees = self.fees_already_claimed
        if fees is not None and fees.reminder.fee_registration_date < self.invoice_date:
            raise fail(
                "fees_already_claimed.reminder.fee_registration_date", "before_invoice", "is before invoice_date"
            )
        return self


class ClaimHandedOver(EventData):
    """Use case 2 (register_case): unpaid invoices handed to Amili for reminders or debt collection."""

    creditor: CreditorRef
    reference: Reference = Field(description="The claim's reference (the invoice number when there is one debt).")
    first_action: Literal["reminder", "debt_collection"]
    currency: Currency = "SEK"
    customer: Customer
    debts: list[Debt] = Field(min_length=1, max_length=100)

    def aggregate_key(self) -> str:
        return build_key(self.creditor.id, self.reference)

    @model_validator(mode="after")
    def _unique_invoices(self) -> ClaimHandedOver:
        seen: set[str] = set()
        for i, debt in enumerate(self.debts):
            if debt.invoice_number in seen:
                raise fail(f"debts.{i}.invoice_number", "duplicate", "each debt needs its own invoice_number")
            seen.add(debt.invoice_number)
        return self
