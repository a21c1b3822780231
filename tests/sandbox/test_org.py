"""Partner onboarding (accounts, creditors with If-Match), users and access groups, media upload."""

from __future__ import annotations

import pytest

from sandbox.reading import ACCOUNT_INITIAL_CREDITOR_FIELD, API_KEY_HEADER, MEDIA_MAX_BYTES
from sandbox.resources import media
from tests.fixtures.sandbox import demo_credentials, fetch_token
from tests.sandbox.builders import invoice, post

CREDS = demo_credentials()
ADDRESS = {"address_line_1": "Gatan 1", "zip_code": "11122", "city": "Stockholm", "country": "SE"}


@pytest.fixture
def partner_client(inproc_client):
    inproc_client.headers[API_KEY_HEADER] = fetch_token(inproc_client, CREDS.partner_api_code, CREDS.partner_key_path)
    return inproc_client


def test_partner_creates_an_account_with_an_inactive_first_creditor(partner_client):
    body = {
        "name": "Ny Kund AB",
        "organization_no": "556123-4567",
        "initial_creditor_data": {"name": "Ny Kund AB", "organization_no": "5561234567"},
    }

    answer = post(partner_client, "/accounts", body)

    assert answer.status_code == 201
    creditor = partner_client.get(f"/creditors/{answer.json()[ACCOUNT_INITIAL_CREDITOR_FIELD]}").json()
    assert (creditor["is_active"], creditor["partner"]) == (False, CREDS.partner_id)
    groups = partner_client.get("/access--groups", params={"where": f'{{"account": "{answer.json()["_id"]}"}}'}).json()[
        "_items"
    ]
    assert sorted(g["type"] for g in groups) == ["account_admin", "admin", "user"]
    bad = post(partner_client, "/accounts", {**body, "organization_no": "5561234568"})
    assert "organization_no" in bad.json()["_issues"]


def test_creditor_activation_needs_fields_and_patch_needs_the_current_etag(partner_client):
    created = post(
        partner_client,
        "/creditors",
        {"account": CREDS.account_id, "name": "Fjärde AB", "organization_no": "5590123450"},
    )
    creditor_id, etag = created.json()["_id"], created.json()["_etag"]

    missing = partner_client.patch(f"/creditors/{creditor_id}", json={"is_active": True}, headers={"If-Match": etag})
    no_etag = partner_client.patch(f"/creditors/{creditor_id}", json={"description": "x"})
    stale = partner_client.patch(f"/creditors/{creditor_id}", json={"description": "x"}, headers={"If-Match": "stale"})
    activate = {
        "is_active": True,
        "standard_debt_description": "Faktura",
        "sender_address": ADDRESS,
        "invoice_address": ADDRESS,
        "payout_details": {"sek": {"bankgiro": "5050-1055"}},
    }
    ok = partner_client.patch(f"/creditors/{creditor_id}", json=activate, headers={"If-Match": etag})

    assert set(missing.json()["_issues"]) == {
        "standard_debt_description",
        "sender_address",
        "invoice_address",
        "payout_details",
    }
    assert (no_etag.status_code, stale.status_code, ok.status_code) == (428, 412, 200)
    assert partner_client.get(f"/creditors/{creditor_id}").json()["is_active"] is True
    deleted = partner_client.delete(f"/creditors/{creditor_id}", headers={"If-Match": ok.json()["_etag"]})
    assert deleted.status_code == 204
    assert partner_client.get(f"/creditors/{creditor_id}").status_code == 404


def test_users_get_access_groups_of_their_account(account_client):
    groups = account_client.get(
        "/access--groups", params={"where": f'{{"account": "{CREDS.account_id}", "type": "account_admin"}}'}
    ).json()["_items"]
    body = {
        "account": CREDS.account_id,
        "name": "Test User",
        "oauth_type": "google",
        "email_oauth": "user@example.test",
        "data_access": [{"access_group": groups[0]["_id"]}],
    }

    created = post(account_client, "/users", body)
    foreign_group = post(account_client, "/users", {**body, "data_access": [{"access_group": "f" * 24}]})

    assert created.status_code == 201
    assert account_client.get(f"/users/{created.json()['_id']}").json()["is_enabled"] is True
    assert "data_access.0.access_group" in foreign_group.json()["_issues"]
    assert account_client.get("/_sandbox/ledger", params={"kind": "user"}).json()["total"] == 1


def test_a_users_access_is_replaced_by_patch_with_its_etag(account_client):
    groups = account_client.get("/access--groups", params={"where": f'{{"account": "{CREDS.account_id}"}}'}).json()
    admin = next(g["_id"] for g in groups["_items"] if g["type"] == "account_admin")
    user_group = next(g["_id"] for g in groups["_items"] if g["type"] == "user")
    body = {"account": CREDS.account_id, "name": "N", "oauth_type": "google", "email_oauth": "p@example.test"}
    user = post(account_client, "/users", {**body, "data_access": [{"access_group": user_group}]}).json()
    both = {"data_access": [{"access_group": user_group}, {"access_group": admin}]}

    no_etag = account_client.patch(f"/users/{user['_id']}", json=both)
    stale = account_client.patch(f"/users/{user['_id']}", json=both, headers={"If-Match": "stale"})
    not_changeable = account_client.patch(
        f"/users/{user['_id']}", json={"email_oauth": "x@example.test"}, headers={"If-Match": user["_etag"]}
    )
    foreign = account_client.patch(
        f"/users/{user['_id']}", json={"data_access": [{"access_group": "f" * 24}]}, headers={"If-Match": user["_etag"]}
    )
    ok = account_client.patch(f"/users/{user['_id']}", json=both, headers={"If-Match": user["_etag"]})

    assert (no_etag.status_code, stale.status_code, ok.status_code) == (428, 412, 200)
    assert "email_oauth" in not_changeable.json()["_issues"]
    assert "data_access.0.access_group" in foreign.json()["_issues"]
    assert account_client.get(f"/users/{user['_id']}").json()["data_access"] == both["data_access"]
    assert account_client.get("/_sandbox/ledger", params={"kind": "user_update"}).json()["total"] == 1


def test_creditors_are_counted_per_account_and_every_created_document_is_listed(partner_client):
    number = "5560160680"
    accounts = [
        post(
            partner_client,
            "/accounts",
            {
                "name": f"Konto {i}",
                "organization_no": number,
                "initial_creditor_data": {"name": "K", "organization_no": number},
            },
        ).json()
        for i in (1, 2)
    ]
    ledger = partner_client.get("/_sandbox/ledger").json()
    # the same organisation number in two accounts is two creditors, neither a duplicate of the other
    assert ledger["counts"]["creditor"] == {f"{a['_id']}:{number}": 1 for a in accounts}
    assert ledger["duplicates"] == {"account": {number: 2}}
    assert sorted(ledger["documents"]["creditor"]) == sorted(a["_creditor"] for a in accounts)


def test_media_upload_checks_domain_path_type_and_target(account_client):
    case_id = post(account_client, "/invoice--registrations", invoice(CREDS.creditor_id)).json()["_case"]
    pdf = {"file": ("invoice.pdf", b"%PDF-1.4 demo", "application/pdf")}

    ok = account_client.post(
        f"/media--upload/{case_id}", data={"domain": "cases", "dotted_path": "original_invoice"}, files=pdf
    )
    bad_domain = account_client.post(f"/media--upload/{case_id}", data={"domain": "x", "dotted_path": "a"}, files=pdf)
    no_path = account_client.post(f"/media--upload/{case_id}", data={"domain": "cases"}, files=pdf)
    bad_type = account_client.post(
        f"/media--upload/{case_id}",
        data={"domain": "cases", "dotted_path": "a"},
        files={"file": ("x.exe", b"MZ", "application/octet-stream")},
    )
    no_file = account_client.post(f"/media--upload/{case_id}", data={"domain": "cases", "dotted_path": "a"})
    unknown = account_client.post(f"/media--upload/{'0' * 24}", data={"domain": "cases", "dotted_path": "a"}, files=pdf)

    assert ok.status_code == 201
    held = account_client.get(f"/cases/{case_id}").json()["original_invoice"]
    assert held["content_type"] == "application/pdf"
    assert held["url"] == ok.json()["url"]
    # The signed URL serves the stored bytes, and only with its signature.
    stored = account_client.get(ok.json()["url"])
    assert (stored.status_code, stored.content) == (200, b"%PDF-1.4 demo")
    forged = account_client.get(ok.json()["url"].split("X-Goog-Signature=")[0] + "X-Goog-Signature=0")
    assert forged.status_code == 403
    assert bad_domain.json()["_error"]["message"] == "Domain 'x' is not valid."
    assert no_path.json()["_error"]["message"] == "Dotted Path Not Found in request form"
    assert "content type is not allowed" in bad_type.json()["_error"]["message"]
    assert no_file.json()["_error"]["message"] == "File is a required attribute."
    assert unknown.status_code == 404


def test_media_upload_takes_any_size_amili_documents_none(account_client, monkeypatch):
    # The reference sets no size limit (4.3), so 10 MiB + 1 byte is accepted here even though the fleet's
    # contract refuses it: one of the listed differences (docs/sandbox.md). Only the simulator's memory
    # guard answers 413.
    assert MEDIA_MAX_BYTES is None
    case_id = post(account_client, "/invoice--registrations", invoice(CREDS.creditor_id)).json()["_case"]
    form = {"domain": "cases", "dotted_path": "original_invoice"}
    big = {"file": ("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024 - 3), "application/pdf")}

    accepted = account_client.post(f"/media--upload/{case_id}", data=form, files=big)
    monkeypatch.setattr(media, "LIMIT_BYTES", 1024)
    guarded = account_client.post(f"/media--upload/{case_id}", data=form, files=big)

    assert accepted.status_code == 201
    assert guarded.status_code == 413
