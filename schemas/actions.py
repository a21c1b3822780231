"""Inbound case actions: documents, status look-ups, payments, credits, cancellations, respites.

Each targets one claim (`case`: the invoice number, plus Amili's case id when the producer has it),
so its record key is `<creditor id>:<invoice number>`, the same key as the registration it follows.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Final, Literal

from pydantic import Field, model_validator

from schemas.common import CaseRef, CreditorRef, EventData
from schemas.errors import fail
from schemas.keys import build_key
from schemas.rules import MEDIA_CONTENT_TYPES, MEDIA_MAX_BYTES
from schemas.types import Currency, PositiveAmount, Reference, Text

#: Largest document carried inline (decoded); bigger files travel as an https URL (claim check).
MAX_INLINE_DOCUMENT_BYTES: Final = 512 * 1024


class CaseEvent(EventData):
    creditor: CreditorRef
    case: CaseRef

    def aggregate_key(self) -> str:
        return build_key(self.creditor.id, self.case.invoice_number)


class DocumentAttached(CaseEvent):
    """Use case 3 (upload_document): a document for the case, as an https URL or inline base64."""

    document_type: Literal["original_invoice"] = Field(
        default="original_invoice", description="The case field the file is stored on (Amili's dotted_path)."
    )
    file_name: str = Field(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")
    content_type: Literal[MEDIA_CONTENT_TYPES]  # type: ignore[valid-type]
    url: str | None = Field(default=None, max_length=2048, pattern=r"^https://[^\s]+$")
    content_base64: str | None = Field(default=None, max_length=(MAX_INLINE_DOCUMENT_BYTES * 4) // 3 + 4)
    size_bytes: int | None = Field(default=None, ge=1, le=MEDIA_MAX_BYTES)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _one_source(self) -> DocumentAttached:
        if (self.url is None) == (self.content_base64 is None):
            raise fail("url", "one_of", "exactly one of url or content_base64 is required")
        if self.content_base64 is not None:
            try:
                raw = base64.b64decode(self.content_base64, validate=True)
            except (binascii.Error, ValueError):
                raise fail("content_base64", "base64", "is not valid base64") from None
            if len(raw) > MAX_INLINE_DOCUMENT_BYTES:
                raise fail(
                    "content_base64", "oversized", f"inline documents are at most {MAX_INLINE_DOCUMENT_BYTES} bytes"
                )
        return self


class CaseStatusRequested(CaseEvent):
    """Use case 4 (lookup_case_status): answer with the case's live state in a `succeeded` outcome."""


class PaymentReceived(CaseEvent):
    """Use case 7 (register_payment): the debtor paid the creditor directly."""

    currency: Currency = "SEK"
    amount: PositiveAmount
    bank_transaction_date: date
    payment_reference: Reference | None = Field(
        default=None, description="Amili's creditor_payment_reference; the event id is used when absent."
    )


class CreditIssued(CaseEvent):
    """Use case 8 (credit_case): a credit note for part of the claim or all of it."""

    scope: Literal["partial", "full"]
    currency: Currency = "SEK"
    amount: PositiveAmount = Field(description="The credited amount (for `full`: the whole remaining capital).")
    credit_invoice: Reference | None = Field(default=None, description="The credit note's number.")
    credit_reference: Reference | None = Field(
        default=None, description="Amili's creditor_reference; the event id is used when absent."
    )


class InvoiceCancelled(CaseEvent):
    """Use case 9 (cancel_case): stop all further processing (withdrawal)."""

    reason: Text | None = Field(default=None, description="Free text for the creditor's records (no personal data).")


class RespiteRequested(CaseEvent):
    """Use case 10 (grant_respite): postpone collection activity until a date."""

    respite_until: date
    reason: Literal["payment_plan", "dispute", "debtor_request", "creditor_request", "other"]
    note: Text | None = None
