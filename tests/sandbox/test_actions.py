"""Creditor actions change balances and state as Amili would; the ledger counts every write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

from tests.fixtures.sandbox import demo_credentials
from tests.sandbox.builders import action, case_registration, data, invoice, payment, post

CREDS = demo_credentials()
CREDITOR = CREDS.creditor_id


def register(client: httpx.Client, number: str = "INV-1", price: str = "1000.00") -> str:
    response = post(client, "/invoice--registrations", invoice(CREDITOR, number, price))
    assert response.status_code == 201, response.text
    return str(response.json()["_case"])


def case_of(client: httpx.Client, case_id: str) -> Any:
    return data(client.get(f"/cases/{case_id}"))


def test_invoice_registration_creates_invoice_customer_and_case(account_client):
    answer = data(post(account_client, "/invoice--registrations", invoice(CREDITOR)))

    assert answer["_status"] == "OK"
    case = case_of(account_client, answer["_case"])
    assert (case["state"], case["closed"], case["creditor"]) == ("invoice", None, CREDITOR)
    assert case["local_remaining_capital_amount"] == Decimal("1250.00")  # 1000 + 25 % VAT, exact
    stored = data(account_client.get(f"/invoices/{answer['_invoice']}"))
    assert (stored["case"], stored["total_vat_25_percent"], stored["case_state"]) == (
        answer["_case"],
        Decimal("250.00"),
        "invoice",
    )
    assert data(account_client.get("/customers"))["_meta"]["total"] == 1


def test_case_registration_creates_one_case_per_debt_with_luhn_ocr(account_client):
    from sandbox.resources.fields import luhn_valid

    answer = data(post(account_client, "/case--registrations", case_registration(CREDITOR, "D-1", "D-2")))

    assert len(answer["_cases"]) == len(answer["_ocr_numbers"]) == len(answer["_ocr_numbers_ocr"]) == 2
    assert all(len(ocr) == 20 and luhn_valid(ocr) for ocr in answer["_ocr_numbers_ocr"])
    case = case_of(account_client, answer["_cases"][0])
    assert case["state"] == "reminder"
    assert case["local_remaining_costs_amount"] == Decimal("60.00")  # the reminder fee


def test_full_payment_closes_as_paid_and_a_partial_one_leaves_a_residual(account_client):
    full, partial = register(account_client, "INV-1"), register(account_client, "INV-2")

    paid = data(post(account_client, "/creditor--payments", payment(CREDITOR, full, "1250.00")))
    part = data(post(account_client, "/creditor--payments", payment(CREDITOR, partial, "250.00", "pay-2")))

    assert (paid["status"], paid["_payment_status"], paid["settled_amount"]) == (
        "completed",
        "completed",
        Decimal("1250.00"),
    )
    assert paid["case_invoice_number"] == "INV-1"
    assert case_of(account_client, full)["closed"]["reason"] == "paid"
    assert (part["status"], part["settled_amount"]) == ("completed", Decimal("250.00"))
    residual = case_of(account_client, partial)
    assert (residual["closed"], residual["local_remaining_capital_amount"]) == (None, Decimal("1000.00"))


def test_actions_on_a_closed_case_are_warnings_that_change_nothing(account_client):
    case_id = register(account_client)
    post(account_client, "/creditor--cancellations", action(CREDITOR, case_id))

    late = data(post(account_client, "/creditor--payments", payment(CREDITOR, case_id, "10.00")))
    again = data(post(account_client, "/creditor--cancellations", action(CREDITOR, case_id)))

    assert case_of(account_client, case_id)["closed"]["reason"] == "cancelled"
    assert (late["status"], late["settled_amount"]) == ("warning", Decimal("0.00"))
    assert again["status"] == again["_cancellation_status"] == "warning"


def test_crediting_the_remaining_capital_closes_as_credited(account_client):
    case_id = register(account_client)
    body = action(CREDITOR, case_id, currency="SEK", amount=Decimal("250.00"), creditor_reference="cr-1")
    first = data(post(account_client, "/creditor--creditings", body))
    rest = data(
        post(
            account_client,
            "/creditor--creditings",
            {**body, "amount": Decimal("1000.00"), "creditor_reference": "cr-2"},
        )
    )

    assert (first["status"], case_of(account_client, case_id)["closed"]) == (
        "completed",
        {"closed_date": rest["_created"], "reason": "credited"},
    )
    assert rest["settled_amount"] == Decimal("1000.00")


def test_targeting_by_invoice_number_and_the_exactly_one_rule(account_client):
    register(account_client, "INV-7")
    by_number = post(
        account_client, "/creditor--payments", {**payment(CREDITOR, "", "1.00"), "invoice_number": "INV-7"}
    )
    both = post(
        account_client, "/creditor--payments", {**payment(CREDITOR, "a" * 24, "1.00"), "invoice_number": "INV-7"}
    )
    unknown = post(account_client, "/creditor--payments", {**payment(CREDITOR, "", "1.00"), "invoice_number": "NOPE"})

    assert by_number.status_code == 201
    assert by_number.json()["case_invoice_number"] == "INV-7"
    assert both.json()["_issues"] == {"case": "exactly one of case or invoice_number is required"}
    assert unknown.status_code == 422


def test_duplicates_are_created_and_counted_in_the_ledger(account_client):
    # Amili's duplicate rule is unknown: the sandbox accepts the second registration and counts it
    first, second = register(account_client, "DUP-1"), register(account_client, "DUP-1")
    register(account_client, "ONCE-1")

    ledger = account_client.get("/_sandbox/ledger").json()
    key = f"{CREDITOR}:DUP-1"
    assert first != second
    assert ledger["duplicates"]["case"] == {key: 2}
    assert ledger["duplicates"]["invoice"] == {key: 2}
    assert ledger["counts"]["case"][f"{CREDITOR}:ONCE-1"] == 1
    # and an ambiguous invoice number is an error, applied to nothing
    ambiguous = data(
        post(account_client, "/creditor--payments", {**payment(CREDITOR, "", "5.00"), "invoice_number": "DUP-1"})
    )
    assert ambiguous["status"] == "error"
    per_case = account_client.get("/_sandbox/ledger", params={"case": first}).json()["entries"]
    assert [e["kind"] for e in per_case][:3] == ["case", "invoice_registration", "invoice"]


def test_respite_postpones_to_any_later_date(account_client):
    case_id = register(account_client)
    now = account_client.get("/_sandbox/clock").json()["now"]
    # Amili documents no limit (4.10), so a respite far beyond the fleet's 90-day contract is accepted.
    far = post(
        account_client,
        f"/creditor--respites/{case_id}",
        {"creditor": CREDITOR, "respite_until": "Mon, 01 Jan 2125 00:00:00 GMT", "origin": "creditor_system"},
    )
    past = post(
        account_client,
        f"/creditor--respites/{case_id}",
        {"creditor": CREDITOR, "respite_until": now, "origin": "creditor_system"},
    )

    assert far.status_code == 201
    assert past.status_code == 422
    assert "respite_until" in past.json()["_issues"]
