"""Response documents: small typed views with the fields the use cases need; the rest is kept as extra.

Eve's metadata fields start with an underscore (`_id`, `_etag`, `_case`...), which Python attributes
cannot, so they are aliased (`id`, `etag`, `case`...). Every field is optional except `_id`, because
a `projection` may leave anything else out. Dates are parsed from RFC 1123; amounts are Decimal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from workers.amili import assumptions
from workers.amili.dates import parse_amili_date


def _date_or_none(value: Any) -> Any:
    return parse_amili_date(value) if isinstance(value, str) else value


AmiliDateTime = Annotated[datetime, BeforeValidator(_date_or_none)]


class Document(BaseModel):
    """Any Amili document: id, timestamps and ETag, plus every other field as extra."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str = Field(alias="_id")
    created: AmiliDateTime | None = Field(default=None, alias="_created")
    updated: AmiliDateTime | None = Field(default=None, alias="_updated")
    etag: str | None = Field(default=None, alias="_etag")


class WriteResult(Document):
    """What a create returns: `_status` is "OK" on success."""

    write_status: str | None = Field(default=None, alias="_status")


class InvoiceRegistrationResult(WriteResult):
    #: The case created for the invoice: use it for everything afterwards.
    case: str | None = Field(default=None, alias="_case")
    #: Not documented (reference 7.2 item 12) but cheap to keep when Amili sends them.
    invoice: str | None = Field(default=None, alias="_invoice")
    ocr_number: str | None = Field(default=None, alias="_ocr_number")


class CaseRegistrationResult(WriteResult):
    #: One case id per debt, in the order of `debts`.
    cases: list[str] = Field(default_factory=list, alias="_cases")
    ocr_numbers: list[str] = Field(default_factory=list, alias="_ocr_numbers")
    #: The OCR payment references themselves.
    ocr_references: list[str] = Field(default_factory=list, alias="_ocr_numbers_ocr")


class MediaUploadResult(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    write_status: str | None = Field(default=None, alias="_status")
    #: Signed URL of the stored file (valid about an hour).
    url: str | None = None


class CaseClosure(BaseModel):
    """`case.closed` (structure assumed, see assumptions.CLOSURE_REASONS)."""

    model_config = ConfigDict(extra="allow")

    closed_date: AmiliDateTime | None = None
    reason: str | None = None


class CaseDebt(BaseModel):
    model_config = ConfigDict(extra="allow")

    invoice_number: str | None = None
    debt_reference: str | None = None
    payout_reference: str | None = None
    invoice_date: AmiliDateTime | None = None
    initial_capital: Decimal | None = None
    capital_to_claim: Decimal | None = None


class Case(Document):
    creditor: str | None = None
    customer: str | None = None
    reference_number: str | None = None
    currency: str | None = None
    #: Open strings: Amili's full enums are unknown (reference 5).
    state: str | None = None
    status: str | None = None
    latest_state_date: AmiliDateTime | None = None
    closed: CaseClosure | None = None
    debt: CaseDebt | None = None
    local_remaining_capital_amount: Decimal | None = None
    local_remaining_interest_amount: Decimal | None = None
    local_remaining_costs_amount: Decimal | None = None
    total_remaining_capital_amount: Decimal | None = None

    @property
    def is_closed(self) -> bool:
        return self.closed is not None or self.state == assumptions.CLOSED_STATE


class Invoice(Document):
    account: str | None = None
    creditor: str | None = None
    invoice_number: str | None = None
    reference_number: str | None = None
    ocr_number: str | None = None
    case: str | None = None
    case_state: str | None = None
    case_status: str | None = None
    total_amount_including_vat: Decimal | None = None


class Customer(Document):
    customer_number: str | None = None
    is_person: bool | None = None
    is_active: bool | None = None
    customer_status: str | None = None


class CreditorAction(WriteResult):
    """A payment, crediting, cancellation or respite as Amili stored it."""

    creditor: str | None = None
    case: str | None = None
    #: Processing outcome: completed | warning | error (cancellations: completed | warning).
    status: str | None = None
    status_reason_locale: str | None = None
    settled_amount: Decimal | None = None
    case_invoice_number: str | None = None
    case_reference_number: str | None = None


class Payment(CreditorAction):
    payment_status: str | None = Field(default=None, alias="_payment_status")
    amount: Decimal | None = None
    creditor_payment_reference: str | None = None


class Crediting(CreditorAction):
    payment_status: str | None = Field(default=None, alias="_payment_status")
    amount: Decimal | None = None
    creditor_reference: str | None = None


class Cancellation(CreditorAction):
    cancellation_status: str | None = Field(default=None, alias="_cancellation_status")
    creditor_reference: str | None = None


class Respite(CreditorAction):
    respite_until: AmiliDateTime | None = None
    reason: str | None = None
    creditor_reference: str | None = None


class PayoutSpecification(Document):
    """One settled transaction line of a payout."""

    creditor: str | None = None
    currency: str | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    total_amount: Decimal | None = None
    article: str | None = None
    finance_category: str | None = None
    state: str | None = None
    booking_date: AmiliDateTime | None = None
    invoice_number: str | None = None
    reference_number: str | None = None
    payout_reference: str | None = None
    payout_date: AmiliDateTime | None = None
    payout: str | None = None


class Payout(Document):
    """An aggregate payout per creditor, category and period (field list mostly UNKNOWN)."""

    creditor: str | None = None
    currency: str | None = None
    finance_category: str | None = None
    status: str | None = None
    amount: Decimal | None = None
    vat_amount: Decimal | None = None
    total_amount: Decimal | None = None
    payout_date: AmiliDateTime | None = None
    payout_reference: str | None = None
    summary: Any = None


class AccessGroup(Document):
    #: account_admin | admin | user
    type: str | None = None
    name: str | None = None
    account: str | None = None
    creditor: str | None = None


class User(Document):
    account: str | None = None
    name: str | None = None
    email_oauth: str | None = None
    oauth_type: str | None = None
    is_enabled: bool | None = None
    #: [{"access_group": id}, ...]: the access groups the user is in.
    data_access: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def access_groups(self) -> set[str]:
        return {str(grant["access_group"]) for grant in self.data_access if grant.get("access_group")}


class Account(Document):
    name: str | None = None
    organization_no: str | None = None
    #: Id of the account's first creditor (returned by the create call).
    initial_creditor: str | None = Field(default=None, alias=assumptions.ACCOUNT_INITIAL_CREDITOR_FIELD)


class Creditor(Document):
    account: str | None = None
    partner: str | None = None
    name: str | None = None
    organization_no: str | None = None
    non_swedish_organization_no: str | None = None
    creditor_number: int | str | None = None
    is_active: bool | None = None


class Partner(Document):
    name: str | None = None
    organization_no: str | None = None
    integration_id: str | None = None
