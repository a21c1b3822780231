"""Building blocks shared by the event data models: creditor and case references, debtor, address.

Creditors are named twice on purpose: by Amili's ids (`id`, `account`: 24-hex ObjectIds, which the
workers need for every call) and, optionally, by the upstream system's own `reference`. The record
key uses the Amili creditor id, so inbound events and the pollers' facts about one claim share a key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from schemas.errors import fail
from schemas.types import (
    AmiliId,
    CountryCode,
    Email,
    Name,
    Organisationsnummer,
    Personnummer,
    Phone,
    Reference,
    ShortText,
)

_PERSON = TypeAdapter(Personnummer)
_ORG = TypeAdapter(Organisationsnummer)


class Model(BaseModel):
    """Base of every contract model: unknown fields are errors (typos must not pass silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EventData(Model):
    """Base of every event's `data`: it knows the record key its events must be published with."""

    def aggregate_key(self) -> str:
        raise NotImplementedError(type(self).__name__)


class CreditorRef(Model):
    """The creditor (borgenär) an event is about."""

    id: AmiliId = Field(description="Amili creditor _id (the first part of the record key).")
    account: AmiliId = Field(description="Amili account _id that owns the creditor.")
    reference: Reference | None = Field(default=None, description="The upstream system's own creditor id.")


class CaseRef(Model):
    """The claim an action targets: the invoice number (unique per creditor), and Amili's case id if known."""

    invoice_number: Reference
    case_id: AmiliId | None = Field(default=None, description="Amili case _id; looked up by invoice number if absent.")


class Address(Model):
    address_line_1: Name
    address_line_2: Name | None = None
    zip_code: ShortText
    city: ShortText
    country: CountryCode = "SE"

    @model_validator(mode="after")
    def _swedish_zip(self) -> Address:
        digits = self.zip_code.replace(" ", "")
        if self.country == "SE" and not (len(digits) == 5 and digits.isdigit()):
            raise fail("zip_code", "format", "a Swedish postnummer is 5 digits (NNN NN)")
        return self


class Customer(Model):
    """The debtor (gäldenär). `kind` maps to Amili's is_person / is_company / is_foreign flags."""

    kind: Literal["person", "company", "foreign"]
    name: Name
    customer_number: Reference | None = None
    id_number: str | None = Field(
        default=None,
        max_length=32,
        description="person: personnummer or samordningsnummer; company: organisationsnummer; foreign: free text.",
    )
    address: Address
    mobile_number: Phone | None = None
    email: Email | None = None

    @model_validator(mode="after")
    def _id_number(self) -> Customer:
        if self.kind == "foreign":
            return self
        if self.id_number is None:
            raise fail("id_number", "required", f"a {self.kind} debtor needs a Swedish id_number")
        try:
            (_PERSON if self.kind == "person" else _ORG).validate_python(self.id_number)
        except ValidationError as exc:
            first = exc.errors(include_input=False)[0]
            raise fail("id_number", first["type"], first["msg"]) from None
        return self
