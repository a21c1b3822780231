"""Field types: money is exact Decimal (numbers or strings, never float), contact data and codes are checked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from pydantic import TypeAdapter, ValidationError

from schemas import jsonio
from schemas.errors import issues_from_validation
from schemas.types import Amount, CountryCode, Email, Phone, PositiveAmount, VatPercent
from tests.schemas.strategies import amounts

AMOUNT = TypeAdapter(Amount)


def _rule(adapter: TypeAdapter[Any], value: Any) -> str | None:
    try:
        adapter.validate_python(value)
    except ValidationError as exc:
        return issues_from_validation(exc)[0].rule
    return None


@settings(max_examples=80)
@given(amounts)
def test_amount_keeps_precision_through_json_number_and_string(value):
    as_number = jsonio.loads(jsonio.dumps({"a": value}))["a"]
    assert AMOUNT.validate_python(as_number) == value
    assert AMOUNT.validate_python(format(value, "f")) == value
    assert jsonio.dumps({"a": AMOUNT.validate_python(format(value, "f"))}) == jsonio.dumps({"a": value})


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (0.1, "float"),  # a binary float has already lost öre
        (Decimal("0.1") + Decimal("0.2"), None),
        (Decimal("10.005"), "max_decimals"),
        (Decimal("0.30000000000000004"), "max_decimals"),
        ("10.005", "format"),
        ("1e3", "format"),
        ("12,50", "format"),
        (True, "decimal_type"),
        (Decimal("NaN"), "finite"),
        (Decimal("-1"), "min_value"),
        (Decimal("1000000000000.01"), "max_value"),
        (Decimal("12.500"), None),  # same value as 12.50
        (250, None),
        ("250.50", None),
    ],
)
def test_amount_rules(value, rule):
    assert _rule(AMOUNT, value) == rule


def test_positive_amount_rejects_zero():
    assert _rule(TypeAdapter(PositiveAmount), Decimal("0.00")) == "min_value"


@pytest.mark.parametrize(
    ("value", "rule"), [(25, None), (12, None), (6, None), (0, None), (24, "enum"), ("25%", "enum")]
)
def test_vat_rates(value, rule):
    assert _rule(TypeAdapter(VatPercent), value) == rule


@pytest.mark.parametrize(("value", "rule"), [("SE", None), ("NO", None), ("XX", "country"), ("se", "format")])
def test_country_codes(value, rule):
    assert _rule(TypeAdapter(CountryCode), value) == rule


@pytest.mark.parametrize(
    ("value", "rule"),
    [("+46701234567", None), ("0701234567", "format"), ("+4670", "format"), ("+046701234567", "format")],
)
def test_phone_is_e164(value, rule):
    assert _rule(TypeAdapter(Phone), value) == rule


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("anna@example.se", None),
        ("anna@example", "format"),
        ("an na@example.se", "format"),
        ("a" * 250 + "@x.se", "max_length"),
    ],
)
def test_email(value, rule):
    assert _rule(TypeAdapter(Email), value) == rule


def test_messages_do_not_echo_personal_data():
    try:
        TypeAdapter(Email).validate_python("secret.person@example")
    except ValidationError as exc:
        issue = issues_from_validation(exc, "data.customer.email")[0]
    assert issue.field == "data.customer.email"
    assert "secret.person" not in issue.message
