"""Business rules of the event data models: each broken rule is reported on the field it concerns."""

from __future__ import annotations

import base64
from decimal import Decimal

import pytest

from schemas.actions import MAX_INLINE_DOCUMENT_BYTES
from schemas.catalog import USE_CASES
from tests.schemas.helpers import DELETE, changed, example_data, first_issue


def _check(use_case: str, path: str, value, field: str, rule: str) -> None:
    data = changed(example_data(use_case), path, value)
    issue = first_issue(USE_CASES[use_case].model, data)
    assert issue is not None, "the change should have been rejected"
    assert (issue.field, issue.rule) == (field, rule)


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_examples_are_valid(use_case):
    assert first_issue(USE_CASES[use_case].model, example_data(use_case)) is None


@pytest.mark.parametrize(
    ("use_case", "path", "value", "field", "rule"),
    [
        ("register_invoice", "customer.id_number", "19121212-1213", "data.customer.id_number", "luhn"),
        ("register_invoice", "customer.id_number", DELETE, "data.customer.id_number", "required"),
        ("register_invoice", "customer.address.zip_code", "1234", "data.customer.address.zip_code", "format"),
        ("register_invoice", "customer.address.country", "XX", "data.customer.address.country", "country"),
        ("register_invoice", "customer.mobile_number", "0701234567", "data.customer.mobile_number", "format"),
        ("register_invoice", "currency", "EUR", "data.currency", "enum"),
        ("register_invoice", "invoice_due_date", "2026-11-01", "data.invoice_due_date", "due_before_invoice"),
        ("register_invoice", "lines.0.unit_vat_percent", 24, "data.lines.0.unit_vat_percent", "enum"),
        ("register_invoice", "lines.0.unit_price", 0.1, "data.lines.0.unit_price", "float"),
        ("register_invoice", "lines.0.unit_price", Decimal("950.001"), "data.lines.0.unit_price", "max_decimals"),
        (
            "register_invoice",
            "lines.0.total_price_excluding_vat",
            Decimal("2375.01"),
            "data.lines.0.total_price_excluding_vat",
            "line_total",
        ),
        ("register_invoice", "total_vat", Decimal("600.00"), "data.total_vat", "total_mismatch"),
        (
            "register_invoice",
            "total_amount_including_vat",
            Decimal("3181.00"),
            "data.total_amount_including_vat",
            "total_mismatch",
        ),
        ("register_invoice", "reference_number", "12345678901238", "data.reference_number", "luhn"),
        ("register_invoice", "invoice_headline", "x" * 201, "data.invoice_headline", "max_length"),
        ("register_invoice", "lines", [], "data.lines", "min_items"),
        ("register_invoice", "surprise", 1, "data.surprise", "unknown_field"),
        ("register_invoice", "creditor.id", "ACME", "data.creditor.id", "format"),
        ("register_case", "customer.id_number", "556677-8898", "data.customer.id_number", "luhn"),
        ("register_case", "first_action", "lawsuit", "data.first_action", "enum"),
        ("register_case", "debts.0.capital_to_claim", "0", "data.debts.0.capital_to_claim", "min_value"),
        (
            "register_case",
            "debts.0.fees_already_claimed.reminder.fee_registration_date",
            "2026-09-01",
            "data.debts.0.fees_already_claimed.reminder.fee_registration_date",
            "before_invoice",
        ),
        ("upload_document", "url", "http://files.example.se/a.pdf", "data.url", "format"),
        ("upload_document", "url", DELETE, "data.url", "one_of"),
        ("upload_document", "content_type", "text/html", "data.content_type", "enum"),
        ("register_payment", "amount", Decimal("-5"), "data.amount", "min_value"),
        ("credit_case", "scope", "most", "data.scope", "enum"),
        ("grant_respite", "reason", "because", "data.reason", "enum"),
        ("invite_user", "role", "owner", "data.role", "enum"),
        ("invite_user", "creditor", DELETE, "data.creditor", "required"),
        ("invite_user", "email", "karin@", "data.email", "format"),
        (
            "provision_account",
            "initial_creditor.payout_details",
            DELETE,
            "data.initial_creditor.payout_details",
            "required_for_activation",
        ),
        (
            "provision_account",
            "initial_creditor.payout_details.bankgiro",
            "5050-1056",
            "data.initial_creditor.payout_details.bankgiro",
            "luhn",
        ),
        ("provision_account", "organization_no", "556677-8898", "data.organization_no", "luhn"),
        ("provision_creditor", "creditor.organization_no", DELETE, "data.creditor.organization_no", "one_of"),
    ],
)
def test_broken_rules_name_the_field(use_case, path, value, field, rule):
    _check(use_case, path, value, field, rule)


def test_inactive_creditor_needs_no_activation_fields():
    data = example_data("provision_account")
    data["activation"] = "inactive"
    for name in ("standard_debt_description", "sender_address", "invoice_address", "payout_details"):
        del data["initial_creditor"][name]
    assert first_issue(USE_CASES["provision_account"].model, data) is None


def test_account_admin_needs_no_creditor():
    data = changed(changed(example_data("invite_user"), "role", "account_admin"), "creditor", DELETE)
    assert first_issue(USE_CASES["invite_user"].model, data) is None


def test_inline_document_under_the_cap_is_accepted_and_over_it_rejected():
    data = changed(example_data("upload_document"), "url", DELETE)
    small = changed(data, "content_base64", base64.b64encode(b"%PDF-1.7 tiny").decode())
    assert first_issue(USE_CASES["upload_document"].model, small) is None
    big = changed(data, "content_base64", base64.b64encode(b"x" * (MAX_INLINE_DOCUMENT_BYTES + 1)).decode())
    issue = first_issue(USE_CASES["upload_document"].model, big)
    assert issue is not None
    assert issue.field == "data.content_base64"
    assert issue.rule in {"oversized", "max_length"}
    not_base64 = changed(data, "content_base64", "not base64!")
    issue = first_issue(USE_CASES["upload_document"].model, not_base64)
    assert issue is not None
    assert (issue.field, issue.rule) == ("data.content_base64", "base64")


def test_claim_debts_need_distinct_invoice_numbers():
    data = example_data("register_case")
    data["debts"].append(dict(data["debts"][0]))
    issue = first_issue(USE_CASES["register_case"].model, data)
    assert issue is not None
    assert (issue.field, issue.rule) == ("data.debts.1.invoice_number", "duplicate")


def test_a_foreign_debtor_needs_no_swedish_id():
    data = changed(example_data("register_invoice"), "customer.kind", "foreign")
    data = changed(data, "customer.id_number", "DE-123456789")
    data = changed(data, "customer.address.country", "DE")
    data = changed(data, "customer.address.zip_code", "10115")
    assert first_issue(USE_CASES["register_invoice"].model, data) is None
