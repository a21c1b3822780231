"""Request bodies, field for field as the reference document names them (sections 4.1-4.15).

Amounts are Decimal, dates are `date`/`datetime` (written RFC 1123 by `wire.to_wire`), currency is
"SEK" and creditor actions carry `origin: "creditor_system"`. Fields the docs list but we do not
model can still be sent: every body allows extra fields and passes them through unchanged.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

Money = Annotated[Decimal, Field(allow_inf_nan=False)]
PositiveMoney = Annotated[Decimal, Field(gt=0, allow_inf_nan=False)]
AmiliDate = date | datetime
Currency = Literal["SEK"]
CREDITOR_SYSTEM: Literal["creditor_system"] = "creditor_system"


class Body(BaseModel):
    """Base of every request body: unknown extra fields are passed through to Amili as given."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Address(Body):
    address_line_1: str
    address_line_2: str | None = None
    zip_code: str
    city: str
    country: str = "SE"


class Customer(Body):
    """The debtor; its type is set by exactly one of is_person / is_company / is_foreign (DOC-alpha)."""

    name: str
    customer_number: str | None = None
    id_number: str | None = None
    is_person: bool | None = None
    is_company: bool | None = None
    is_foreign: bool | None = None
    address: Address | None = None
    mobile_number: str | None = None
    email: str | None = None

    @model_validator(mode="after")
    def _one_type(self) -> Self:
        if [self.is_person, self.is_company, self.is_foreign].count(True) != 1:
            raise ValueError("is_person/is_company/is_foreign: exactly one must be true")
        return self


class InvoiceLine(Body):
    article_number: str | None = None
    article_description: str
    unit_price: Money
    number_of_units: Money
    total_price_excluding_vat: Money
    #: VAT as Amili writes it: "25%", "12%", "6%", "0%".
    unit_vat_percent: Annotated[str, Field(pattern=r"^\d{1,2}%$")]


class InvoiceRegistration(Body):
    """POST /invoice--registrations (full-service invoicing)."""

    account: str | None = None
    creditor: str
    invoice_type: str = "invoice"
    invoice_number: str
    reference_number: str | None = None
    payout_reference: str | None = None
    invoice_date: AmiliDate
    invoice_due_date: AmiliDate
    invoice_delivery_date: AmiliDate | None = None
    currency: Currency = "SEK"
    invoice_headline: str | None = None
    invoice_body_text: str | None = None
    your_contact: str | None = None
    your_reference: str | None = None
    our_reference: str | None = None
    debt_description: str | None = None
    customer: Customer
    matrix: Annotated[list[InvoiceLine], Field(min_length=1)]


class ClaimedFee(Body):
    amount: PositiveMoney
    fee_registration_date: AmiliDate


class Debt(Body):
    """One debt of a case registration; each becomes its own case."""

    invoice_number: str
    debt_description: str | None = None
    debt_reference: str | None = None
    payout_reference: str | None = None
    invoice_date: AmiliDate
    capital_to_claim: PositiveMoney
    invoice_due_days_after_invoice_date: int | None = None
    #: e.g. {"invoice_fee": Decimal("45")}: fees already inside capital_to_claim.
    fees_included_in_capital_to_claim: dict[str, Money] | None = None
    #: e.g. {"reminder": ClaimedFee(...)}: fees the creditor already charged the debtor.
    fees_already_claimed: dict[str, ClaimedFee] | None = None


class CaseRegistration(Body):
    """POST /case--registrations (collection-only hand-over)."""

    account: str
    creditor: str
    #: "reminder" or "debt_collection" (the docs' "most common values"; others may exist).
    first_action: str
    currency: Currency = "SEK"
    customer: Customer
    debts: Annotated[list[Debt], Field(min_length=1)]


class CaseTarget(Body):
    """A creditor action targets a case by id or (newer docs) by invoice number, never both."""

    account: str | None = None
    creditor: str
    case: str | None = None
    invoice_number: str | None = None
    origin: Literal["creditor_system"] = CREDITOR_SYSTEM

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.case is None) == (self.invoice_number is None):
            raise ValueError("case/invoice_number: set exactly one of them")
        return self


class PaymentRegistration(CaseTarget):
    """POST /creditor--payments: the debtor paid the creditor directly."""

    currency: Currency = "SEK"
    amount: PositiveMoney
    bank_transaction_date: AmiliDate
    client_registration_date: AmiliDate | None = None
    #: Natural key for reconciliation: we send the event id.
    creditor_payment_reference: str | None = None


class CreditingRegistration(CaseTarget):
    """POST /creditor--creditings: credit part of (or all) a case's capital."""

    currency: Currency = "SEK"
    amount: PositiveMoney
    credit_invoice: str | None = None
    client_registration_date: AmiliDate | None = None
    creditor_reference: str | None = None


class CancellationRegistration(CaseTarget):
    """POST /creditor--cancellations; creditor_reference is our addition (assumption: the event id)."""

    creditor_reference: str | None = None


class RespiteRegistration(Body):
    """POST assumptions.RESPITE_PATH (the case id goes in the path, not here)."""

    creditor: str
    respite_until: AmiliDate
    reason: str
    creditor_reference: str | None = None
    origin: Literal["creditor_system"] = CREDITOR_SYSTEM


class AccessGrant(Body):
    access_group: str


class ApplicationGrant(Body):
    application: str


class UserCreation(Body):
    """POST /users; users sign in with Microsoft or Google, so there is no password."""

    account: str | None = None
    partner: str | None = None
    name: str
    oauth_type: Literal["microsoft", "google"]
    email_oauth: str
    data_access: list[AccessGrant] = Field(default_factory=list)
    applications: list[ApplicationGrant] = Field(default_factory=list)
    is_enabled: bool = True


class UserAccess(Body):
    """PATCH assumptions.USER_UPDATE_PATH: the user's whole access list (Eve replaces a list field)."""

    data_access: list[AccessGrant]


class CreditorFields(Body):
    """Creditor data shared by creation, activation and an account's initial creditor (reference 3)."""

    name: str | None = None
    organization_no: str | None = None
    non_swedish_organization_no: str | None = None
    description: str | None = None
    standard_debt_description: str | None = None
    always_use_standard_debt_description: bool | None = None
    agreement_address: Address | None = None
    sender_address: Address | None = None
    invoice_address: Address | None = None
    #: Keyed by lower-case currency: {"sek": {"bankgiro": "123-4567"}}.
    payout_details: dict[str, dict[str, str]] | None = None
    default_letter_locale: str | None = None
    case_config: dict[str, Any] | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def _one_org_no(self) -> Self:
        if self.organization_no is not None and self.non_swedish_organization_no is not None:
            raise ValueError("organization_no/non_swedish_organization_no: set only one of them")
        return self


class CreditorCreation(CreditorFields):
    """Partner API POST /creditors."""

    account: str
    name: str
    agreement_template: str | None = None


class AccountCreation(Body):
    """Partner API POST assumptions.ACCOUNT_CREATE_PATH, with the account's first creditor inline."""

    name: str
    organization_no: str
    description: str | None = None
    standard_debt_description: str | None = None
    agreement_template: str | None = None
    agreement_address: Address | None = None
    initial_creditor_data: CreditorFields
