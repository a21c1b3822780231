"""Validation: Eve's 422 with field issues, 400 for what is not JSON, never a 500."""

from __future__ import annotations

from tests.fixtures.sandbox import demo_credentials
from tests.sandbox.builders import case_registration, invoice, post

CREDS = demo_credentials()


def test_missing_and_wrong_fields_are_named_in_issues(account_client):
    body = invoice(CREDS.creditor_id, currency="EUR", invoice_date="2025-06-16")
    del body["invoice_number"]
    body["matrix"][0]["unit_vat_percent"] = "30%"

    response = post(account_client, "/invoice--registrations", body)

    assert response.status_code == 422
    error = response.json()
    assert error["_status"] == "ERR"
    assert error["_error"]["code"] == 422
    assert set(error["_issues"]) == {"invoice_number", "currency", "invoice_date", "matrix.0.unit_vat_percent"}
    assert "RFC 1123" in error["_issues"]["invoice_date"]


def test_unknown_fields_and_a_customer_without_a_kind_are_rejected(account_client):
    body = invoice(CREDS.creditor_id, invoice_numbr="typo")
    body["customer"] = {"name": "Testbolaget AB"}

    issues = post(account_client, "/invoice--registrations", body).json()["_issues"]

    assert issues["invoice_numbr"] == "unknown field"
    assert "exactly one of" in issues["customer.is_person"]


def test_amounts_must_be_positive_numbers_not_strings(account_client):
    body = case_registration(CREDS.creditor_id, "D-1")
    body["debts"][0]["capital_to_claim"] = "500"
    assert post(account_client, "/case--registrations", body).json()["_issues"] == {
        "debts.0.capital_to_claim": "must be of number type"
    }
    body["debts"][0]["capital_to_claim"] = -1
    assert post(account_client, "/case--registrations", body).json()["_issues"] == {
        "debts.0.capital_to_claim": "must be greater than 0"
    }


def test_malformed_bodies_are_400(account_client):
    for raw in (b"{not json", b"", b"[1, 2"):
        response = account_client.post("/creditor--payments", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400, raw
        assert response.json()["_status"] == "ERR"
    assert post(account_client, "/creditor--payments", [1, 2]).json()["_issues"] == {"body": "must be a JSON object"}


def test_an_unknown_creditor_is_a_field_issue(account_client):
    response = post(account_client, "/invoice--registrations", invoice("0" * 24))
    assert response.status_code == 422
    assert "creditors" in response.json()["_issues"]["creditor"]


def test_unknown_paths_answer_eve_shaped_404(account_client):
    response = account_client.get("/no-such-resource")
    assert response.status_code == 404
    assert response.json()["_status"] == "ERR"
