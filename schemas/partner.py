"""Inbound user and partner events: UserInvited (14), AccountRequested (15a), CreditorRequested (15b).

Keys carry no personal data: a user is keyed `<account id>:<user reference>` (not the e-mail), an
account `<account reference>:account` (it has no Amili id yet), a creditor `<account id>:<creditor
reference>`. The natural keys the workers de-duplicate on (e-mail, organisation number) are in `data`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from schemas.common import Address, EventData, Model
from schemas.errors import fail
from schemas.keys import build_key
from schemas.types import AmiliId, Bankgiro, Email, Name, Organisationsnummer, Plusgiro, Reference, Text


class UserInvited(EventData):
    """Use case 14 (invite_user): create an Amili App user with one role."""

    account: AmiliId = Field(description="Amili account _id.")
    creditor: AmiliId | None = Field(default=None, description="Amili creditor _id; required for creditor roles.")
    user_reference: Reference = Field(description="The upstream system's user id (the key's second part).")
    name: Name
    email: Email
    oauth_type: Literal["microsoft", "google"]
    role: Literal["account_admin", "creditor_admin", "user"] = Field(
        description="account_admin: the whole account; creditor_admin / user: one creditor (Amili `admin` / `user`)."
    )

    def aggregate_key(self) -> str:
        return build_key(self.account, self.user_reference)

    @model_validator(mode="after")
    def _creditor_role(self) -> UserInvited:
        if self.role != "account_admin" and self.creditor is None:
            raise fail("creditor", "required", "creditor roles need the creditor id")
        return self


class PayoutDetails(Model):
    """SEK payout account: exactly one of bankgiro or plusgiro."""

    bankgiro: Bankgiro | None = None
    plusgiro: Plusgiro | None = None

    @model_validator(mode="after")
    def _one(self) -> PayoutDetails:
        if (self.bankgiro is None) == (self.plusgiro is None):
            raise fail("bankgiro", "one_of", "exactly one of bankgiro or plusgiro is required")
        return self


class CreditorSetup(Model):
    """A creditor to create. `activation: direct` needs every field Amili requires to activate it."""

    reference: Reference = Field(description="The upstream system's creditor id.")
    name: Name
    organization_no: Organisationsnummer | None = None
    non_swedish_organization_no: str | None = Field(default=None, min_length=1, max_length=32)
    description: Text | None = None
    standard_debt_description: Text | None = None
    sender_address: Address | None = None
    invoice_address: Address | None = None
    payout_details: PayoutDetails | None = None
    default_letter_locale: Literal["sv", "en"] = "sv"

    @model_validator(mode="after")
    def _one_org_no(self) -> CreditorSetup:
        if (self.organization_no is None) == (self.non_swedish_organization_no is None):
            raise fail("organization_no", "one_of", "exactly one of organization_no or non_swedish_organization_no")
        return self

    def activation_issues(self) -> list[str]:
        """Fields Amili needs before `is_active: true` that are missing."""
        needed = ("standard_debt_description", "sender_address", "invoice_address", "payout_details")
        return [name for name in needed if getattr(self, name) is None]


def _check_activation(activation: str, creditor: CreditorSetup, path: str) -> None:
    if activation == "direct":
        missing = creditor.activation_issues()
        if missing:
            raise fail(f"{path}.{missing[0]}", "required_for_activation", "direct activation needs this field")


class AccountRequested(EventData):
    """Use case 15a (provision_account): a partner creates an account with its first creditor.

    `activation`: `inactive` (option A: the client finishes onboarding in the Amili App) or `direct`
    (option B: everything sent up front, the creditor is activated at once).
    """

    account_reference: Reference = Field(description="The partner's id for the account (the key's first part).")
    name: Name
    organization_no: Organisationsnummer
    description: Text | None = None
    agreement_address: Address | None = None
    activation: Literal["inactive", "direct"]
    initial_creditor: CreditorSetup

    def aggregate_key(self) -> str:
        return build_key(self.account_reference, "account")

    @model_validator(mode="after")
    def _activation(self) -> AccountRequested:
        _check_activation(self.activation, self.initial_creditor, "initial_creditor")
        return self


class CreditorRequested(EventData):
    """Use case 15b (provision_creditor): one more creditor on an existing account."""

    account: AmiliId = Field(description="Amili account _id.")
    activation: Literal["inactive", "direct"]
    creditor: CreditorSetup

    def aggregate_key(self) -> str:
        return build_key(self.account, self.creditor.reference)

    @model_validator(mode="after")
    def _activation(self) -> CreditorRequested:
        _check_activation(self.activation, self.creditor, "creditor")
        return self
