"""Hypothesis strategies for valid Swedish identifiers and amounts (shared by the schema tests)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from schemas.sweden import luhn_digit

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


@st.composite
def personnummer(draw: st.DrawFn) -> str:
    """A valid personnummer or samordningsnummer in one of the accepted spellings."""
    born = draw(st.dates(min_value=date(1901, 1, 1), max_value=date(2025, 12, 31)))
    day = born.day + (60 if draw(st.booleans()) else 0)
    body = f"{born.year % 100:02d}{born.month:02d}{day:02d}{draw(st.integers(0, 999)):03d}"
    number = body + luhn_digit(body)
    spelling = draw(st.sampled_from(["10", "10-", "12", "12-"]))
    head = (f"{born.year // 100}" if spelling.startswith("12") else "") + number[:6]
    return head + ("-" if spelling.endswith("-") else "") + number[6:]


@st.composite
def organisationsnummer(draw: st.DrawFn) -> str:
    body = f"{draw(st.sampled_from([2, 5, 7, 8, 9]))}{draw(st.integers(0, 9))}{draw(st.integers(20, 99))}"
    body += f"{draw(st.integers(0, 99999)):05d}"
    number = body + luhn_digit(body)
    return number[:6] + "-" + number[6:] if draw(st.booleans()) else number


@st.composite
def ocr(draw: st.DrawFn) -> str:
    body = draw(st.text(alphabet="0123456789", min_size=1, max_size=24))
    return body + luhn_digit(body)
