"""Swedish identifiers: valid numbers pass in every spelling, any single-digit change fails the check digit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas import sweden
from tests.schemas.strategies import ocr, organisationsnummer, personnummer


def _change_last_digit(value: str, delta: int) -> str:
    last = int(value[-1])
    return value[:-1] + str((last + delta) % 10)


@settings(max_examples=60)
@given(personnummer(), st.integers(1, 9))
def test_personnummer_check_digit(number, delta):
    assert sweden.check_personnummer(number) is None
    assert sweden.check_personnummer(_change_last_digit(number, delta)) == ("luhn", "the check digit is wrong")


@settings(max_examples=60)
@given(organisationsnummer(), st.integers(1, 9))
def test_organisationsnummer_check_digit(number, delta):
    assert sweden.check_organisationsnummer(number) is None
    assert sweden.check_organisationsnummer(_change_last_digit(number, delta)) == ("luhn", "the check digit is wrong")


@settings(max_examples=60)
@given(ocr(), st.integers(1, 9))
def test_ocr_check_digit(reference, delta):
    assert sweden.check_ocr(reference) is None
    assert sweden.check_ocr(_change_last_digit(reference, delta)) == ("luhn", "the check digit is wrong")


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("19121212-1212", None),
        ("121212-1212", None),
        ("121212+1212", None),  # older than 100 years
        ("191212121212", None),
        ("19121272-1219", None),  # samordningsnummer (day + 60)
        ("19121232-1210", "date"),  # 32 December
        ("19000229-0000", "date"),  # 1900 was no leap year
        ("191212121212+", "format"),
        ("1912121212", "luhn"),
        ("12121-1212", "format"),
        ("19121212+1212", "format"),  # '+' only in the 10-digit form
    ],
)
def test_personnummer_examples(value, rule):
    problem = sweden.check_personnummer(value)
    assert (problem[0] if problem else None) == rule


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("556677-8899", None),
        ("5566778899", None),
        ("165566778899", None),
        ("556677-8898", "luhn"),
        ("5566", "format"),
        ("551377-8890", "format"),  # group digit 1 and month 37: neither a company nor a person
    ],
)
def test_organisationsnummer_examples(value, rule):
    problem = sweden.check_organisationsnummer(value)
    assert (problem[0] if problem else None) == rule


@pytest.mark.parametrize(
    ("check", "value", "rule"),
    [
        (sweden.check_bankgiro, "5050-1055", None),
        (sweden.check_bankgiro, "50501055", None),
        (sweden.check_bankgiro, "5050-1056", "luhn"),
        (sweden.check_bankgiro, "50-1055", "format"),
        (sweden.check_plusgiro, "4711-8", None),
        (sweden.check_plusgiro, "4711-9", "luhn"),
        (sweden.check_plusgiro, "123456789", "format"),
        (sweden.check_ocr, "1", "format"),
        (sweden.check_ocr, "12345678901237", None),
    ],
)
def test_giro_and_ocr(check, value, rule):
    problem = check(value)
    assert (problem[0] if problem else None) == rule
