"""Swedish identifiers: personnummer, samordningsnummer, organisationsnummer, OCR, bankgiro, plusgiro.

Each check returns None when the value is valid, otherwise `(rule, message)`; the pydantic types in
`schemas.types` turn that into a field error. Values are validated, never rewritten: a producer's
"19900101-1234" stays exactly that, so a model round-trips through JSON unchanged.
"""

from __future__ import annotations

import re
from datetime import date

Problem = tuple[str, str] | None

_PERSON = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$")
_ORG = re.compile(r"^(16)?(\d{6})-?(\d{4})$")
_BANKGIRO = re.compile(r"^\d{3,4}-?\d{4}$")
_PLUSGIRO = re.compile(r"^\d{1,7}-?\d$")
_OCR = re.compile(r"^\d{2,25}$")


def luhn_ok(digits: str) -> bool:
    """The mod-10 (Luhn) check used by personnummer, organisationsnummer, OCR, bankgiro and plusgiro."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def luhn_digit(digits: str) -> str:
    """The check digit that makes `digits + check` Luhn-valid (for building test data and examples)."""
    return str((10 - sum(int(d) for d in _luhn_products(digits)) % 10) % 10)


def _luhn_products(digits: str) -> list[str]:
    # Doubling starts at the right-most digit of the payload, because the check digit follows it.
    out = []
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        out.append(str(n - 9 if n > 9 else n))
    return out


def _real_date(century: str | None, yy: str, mm: str, dd: str) -> bool:
    day = int(dd)
    if day > 60:  # samordningsnummer: the day of birth plus 60
        day -= 60
    centuries = [int(century)] if century else [19, 20, 18]
    for c in centuries:
        try:
            date(c * 100 + int(yy), int(mm), day)
            return True
        except ValueError:
            continue
    return False


def check_personnummer(value: str) -> Problem:
    """Personnummer or samordningsnummer: 10 or 12 digits, optional '-'/'+', real date, Luhn digit."""
    m = _PERSON.match(value)
    if not m:
        return "format", "must be 10 or 12 digits (YYMMDD-NNNC or YYYYMMDDNNNC)"
    century, yy, mm, dd, sep, tail = m.groups()
    if century and sep == "+":
        return "format", "the '+' separator belongs to the 10-digit form only"
    if not _real_date(century, yy, mm, dd):
        return "date", "the date of birth is not a real date"
    if not luhn_ok(yy + mm + dd + tail):
        return "luhn", "the check digit is wrong"
    return None


def check_organisationsnummer(value: str) -> Problem:
    """Organisationsnummer: 10 digits (optionally '16'-prefixed or with '-'), Luhn check digit.

    A sole trader's organisationsnummer is the owner's personnummer, so a group digit below 2
    (third digit) is accepted when the number is a valid personnummer date.
    """
    m = _ORG.match(value)
    if not m:
        return "format", "must be 10 digits (NNNNNN-NNNN), optionally prefixed with 16"
    head, tail = m.group(2), m.group(3)
    if int(head[2]) < 2 and not _real_date(None, head[0:2], head[2:4], head[4:6]):
        return "format", "not an organisationsnummer (third digit below 2 and not a personnummer)"
    if not luhn_ok(head + tail):
        return "luhn", "the check digit is wrong"
    return None


def check_ocr(value: str) -> Problem:
    """OCR payment reference: 2-25 digits with a Luhn check digit."""
    if not _OCR.match(value):
        return "format", "must be 2 to 25 digits"
    if not luhn_ok(value):
        return "luhn", "the check digit is wrong"
    return None


def check_bankgiro(value: str) -> Problem:
    """Bankgiro number: 7 or 8 digits (NNN-NNNN or NNNN-NNNN), Luhn check digit."""
    if not _BANKGIRO.match(value):
        return "format", "must be 7 or 8 digits (NNN-NNNN or NNNN-NNNN)"
    if not luhn_ok(value.replace("-", "")):
        return "luhn", "the check digit is wrong"
    return None


def check_plusgiro(value: str) -> Problem:
    """Plusgiro number: 2 to 8 digits, optionally '-' before the check digit, Luhn check digit."""
    if not _PLUSGIRO.match(value):
        return "format", "must be 2 to 8 digits (NNNNNNN-N)"
    if not luhn_ok(value.replace("-", "")):
        return "luhn", "the check digit is wrong"
    return None
