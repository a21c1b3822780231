"""Field schemas shared by several resources (addresses, customers, money) and the OCR generator."""

from __future__ import annotations

from typing import Any

from sandbox.reading import ACTION_ORIGIN, CURRENCIES
from sandbox.validation import Field

S = Field("string")
ADDRESS = Field(
    "object",
    fields={
        "address_line_1": S,
        "address_line_2": S,
        "zip_code": S,
        "city": S,
        "country": Field("string", max_length=2),
    },
)
CURRENCY = Field("string", required=True, allowed=CURRENCIES)
ORIGIN = Field("string", required=True, allowed=(ACTION_ORIGIN,))
CUSTOMER = Field(
    "object",
    required=True,
    fields={
        "name": Field("string", required=True),
        "customer_number": S,
        "id_number": S,
        "is_person": Field("boolean"),
        "is_company": Field("boolean"),
        "is_foreign": Field("boolean"),
        "address": ADDRESS,
        "mobile_number": S,
        "email": S,
        "email_data": Field("object", fields={"email": S}),
    },
)


def customer_kind_issue(customer: dict[str, Any]) -> dict[str, str]:
    """Exactly one of is_person / is_company / is_foreign must be true."""
    flags = [customer.get(k) is True for k in ("is_person", "is_company", "is_foreign")]
    if sum(flags) != 1:
        return {"customer.is_person": "exactly one of is_person, is_company, is_foreign must be true"}
    return {}


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for `digits` (Swedish OCR, personnummer and orgnr all use it)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return number.isdigit() and len(number) > 1 and luhn_digit(number[:-1]) == number[-1]


def ocr_number(creditor_number: int, sequence: int) -> str:
    """A 20-digit OCR reference: creditor number, a sequence, and a Luhn check digit."""
    base = f"{creditor_number % 10**7:07d}{sequence % 10**12:012d}"
    return base + luhn_digit(base)
