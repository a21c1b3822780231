"""Field types shared by every event: money, Swedish identifiers, contact data, references.

Each type is an `Annotated` pydantic type whose errors carry a stable rule name (the pydantic error
type) and a message without the input value. Money is Decimal: a JSON number (read by
`schemas.jsonio.loads`, so never through a float) or a string, at most two decimals, kept as given.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from schemas import sweden
from schemas.countries import ISO_COUNTRIES

#: Largest amount an event may carry (a sanity bound, far above any real claim).
MAX_AMOUNT: Final = Decimal("1000000000000")
_AMOUNT_TEXT = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")
_CENT = Decimal("0.01")


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise PydanticCustomError("decimal_type", "an amount must be a JSON number or a decimal string")
    if isinstance(value, float):
        # A float has already lost öre (0.1 + 0.2 != 0.3): refuse it rather than guess.
        raise PydanticCustomError("float", "an amount must not be a binary float; send a number or string")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if not _AMOUNT_TEXT.match(value):
            raise PydanticCustomError("format", "an amount string must look like 1234 or 1234.50")
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PydanticCustomError("finite", "an amount must be a finite number")
        try:
            if value != value.quantize(_CENT):
                raise PydanticCustomError("max_decimals", "an amount has at most 2 decimals")
        except InvalidOperation:
            raise PydanticCustomError("max_value", "the amount is too large") from None
        return value
    raise PydanticCustomError("decimal_type", "an amount must be a JSON number or a decimal string")


def _bounded(low: Decimal, low_inclusive: bool) -> Callable[[Decimal], Decimal]:
    def check(value: Decimal) -> Decimal:
        if value < low or (value == low and not low_inclusive):
            raise PydanticCustomError(
                "min_value", f"the amount must be {'at least' if low_inclusive else 'above'} {low}"
            )
        if abs(value) > MAX_AMOUNT:
            raise PydanticCustomError("max_value", f"the amount must be at most {MAX_AMOUNT}")
        return value

    return check


_MONEY_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number"},
        {"type": "string", "pattern": _AMOUNT_TEXT.pattern},
    ],
    "description": "SEK amount: a JSON number or decimal string, at most 2 decimals (never a binary float).",
}

#: Any amount, negative allowed (e.g. öre rounding).
SignedAmount = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    AfterValidator(_bounded(-MAX_AMOUNT, True)),
    WithJsonSchema(_MONEY_SCHEMA),
]
#: Zero or more.
Amount = Annotated[
    Decimal, BeforeValidator(_to_decimal), AfterValidator(_bounded(Decimal(0), True)), WithJsonSchema(_MONEY_SCHEMA)
]
#: Strictly more than zero.
PositiveAmount = Annotated[
    Decimal, BeforeValidator(_to_decimal), AfterValidator(_bounded(Decimal(0), False)), WithJsonSchema(_MONEY_SCHEMA)
]
#: Amili takes SEK only (reference 2.6).
Currency = Literal["SEK"]
#: Swedish VAT rates, in percent.
VatPercent = Literal[25, 12, 6, 0]


def _checked(check: Callable[[str], sweden.Problem]) -> Callable[[str], str]:
    def validate(value: str) -> str:
        problem = check(value)
        if problem is not None:
            raise PydanticCustomError(problem[0], problem[1])
        return value

    return validate


Personnummer = Annotated[
    str,
    StringConstraints(max_length=13),
    AfterValidator(_checked(sweden.check_personnummer)),
    Field(description="Personnummer or samordningsnummer, 10 or 12 digits, optional separator."),
]
Organisationsnummer = Annotated[
    str,
    StringConstraints(max_length=13),
    AfterValidator(_checked(sweden.check_organisationsnummer)),
    Field(description="Swedish organisationsnummer, 10 digits (NNNNNN-NNNN), Luhn check digit."),
]
OcrReference = Annotated[
    str, AfterValidator(_checked(sweden.check_ocr)), Field(description="OCR payment reference (Luhn).")
]
Bankgiro = Annotated[str, AfterValidator(_checked(sweden.check_bankgiro)), Field(description="Bankgiro number.")]
Plusgiro = Annotated[str, AfterValidator(_checked(sweden.check_plusgiro)), Field(description="Plusgiro number.")]


def _country(value: str) -> str:
    if value not in ISO_COUNTRIES:
        raise PydanticCustomError("country", "must be an ISO 3166-1 alpha-2 country code (e.g. SE)")
    return value


CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_country), Field(description="ISO 3166-1 alpha-2.")
]
Phone = Annotated[
    str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$"), Field(description="E.164 phone number, e.g. +46701234567.")
]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254,
        pattern=r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$",
    ),
]
#: Amili document ids are 24-hex Mongo ObjectIds.
AmiliId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{24}$"), Field(description="Amili _id (24 hex).")]
#: A reference usable as part of a record key: invoice numbers, upstream ids.
Reference = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"),
    Field(description="1-64 characters: letters, digits, '.', '_', '/', '-' (no ':'); part of the record key."),
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
