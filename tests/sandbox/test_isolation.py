"""Creditor isolation: an account sees and writes only its own creditors' data."""

from __future__ import annotations

import pytest

from sandbox.reading import API_KEY_HEADER
from tests.fixtures.sandbox import demo_credentials, fetch_token
from tests.sandbox.builders import action, invoice, payment, post

CREDS = demo_credentials()


@pytest.fixture
def foreign_case(inproc_client) -> str:
    """A case of the demo account; the test then acts as the other account."""
    own = fetch_token(inproc_client, CREDS.account_api_code, CREDS.account_key_path)
    inproc_client.headers[API_KEY_HEADER] = own
    case_id = post(inproc_client, "/invoice--registrations", invoice(CREDS.creditor_id)).json()["_case"]
    inproc_client.headers[API_KEY_HEADER] = fetch_token(
        inproc_client, CREDS.other_account_api_code, CREDS.other_account_key_path
    )
    return str(case_id)


def test_another_accounts_case_is_not_found_and_not_listed(inproc_client, foreign_case):
    assert inproc_client.get(f"/cases/{foreign_case}").status_code == 404
    assert inproc_client.get("/cases").json()["_meta"]["total"] == 0
    assert inproc_client.get("/invoices").json()["_items"] == []
    creditors = [c["_id"] for c in inproc_client.get("/creditors").json()["_items"]]
    assert creditors == [CREDS.other_creditor_id]
    assert [a["_id"] for a in inproc_client.get("/accounts").json()["_items"]] == [CREDS.other_account_id]


def test_writing_for_a_foreign_creditor_is_403_and_changes_nothing(inproc_client, foreign_case):
    attempts = [
        post(inproc_client, "/invoice--registrations", invoice(CREDS.creditor_id, "X-1")),
        post(inproc_client, "/creditor--payments", payment(CREDS.creditor_id, foreign_case, "10.00")),
        post(inproc_client, "/creditor--cancellations", action(CREDS.creditor_id, foreign_case)),
    ]
    assert [r.status_code for r in attempts] == [403, 403, 403]
    # Acting through an own creditor on the foreign case does not reach it either
    sneaky = post(inproc_client, "/creditor--payments", payment(CREDS.other_creditor_id, foreign_case, "10.00"))
    assert sneaky.status_code == 422
    assert "case" in sneaky.json()["_issues"]
    kinds = [e["kind"] for e in inproc_client.get("/_sandbox/ledger").json()["entries"]]
    assert "payment" not in kinds
    assert "cancellation" not in kinds


def test_a_partner_sees_the_accounts_it_provisioned_only(inproc_client):
    inproc_client.headers[API_KEY_HEADER] = fetch_token(inproc_client, CREDS.partner_api_code, CREDS.partner_key_path)
    accounts = [a["_id"] for a in inproc_client.get("/accounts").json()["_items"]]
    partners = [p["_id"] for p in inproc_client.get("/partners").json()["_items"]]
    assert accounts == [CREDS.account_id]
    assert partners == [CREDS.partner_id]
    assert inproc_client.get(f"/creditors/{CREDS.other_creditor_id}").status_code == 404
