"""The `/_sandbox` controls: reset, clock, ledger filters, stats, refused fields."""

from __future__ import annotations

from tests.fixtures.sandbox import demo_credentials
from tests.sandbox.builders import action, case_registration, invoice, post

CREDS = demo_credentials()


def test_reset_returns_to_the_seed_and_keeps_tokens_valid(account_client):
    post(account_client, "/invoice--registrations", invoice(CREDS.creditor_id))
    account_client.post("/_sandbox/clock/advance", json={"days": 3})

    assert account_client.post("/_sandbox/reset").status_code == 200

    assert account_client.get("/cases").json()["_meta"]["total"] == 0
    assert account_client.get("/_sandbox/ledger").json()["entries"] == []
    assert account_client.get("/_sandbox/clock").json()["offset_seconds"] == 0
    assert len(account_client.get("/creditors").json()["_items"]) == 3


def test_clock_advance_validates_its_body(inproc_client):
    for body in ({}, {"days": -1}, {"weeks": 1}, {"days": "2"}, {"days": 100000}):
        response = inproc_client.post("/_sandbox/clock/advance", json=body)
        assert response.status_code == 422, body
        assert response.json()["_issues"]
    ok = inproc_client.post("/_sandbox/clock/advance", json={"days": 1, "seconds": 30}).json()
    assert ok["transitions"] == 0
    assert inproc_client.get("/_sandbox/clock").json()["offset_seconds"] == 86430


def test_ledger_filters_and_stats(account_client):
    first = post(account_client, "/invoice--registrations", invoice(CREDS.creditor_id, "A-1")).json()["_case"]
    post(account_client, "/invoice--registrations", invoice(CREDS.creditor_ids[1], "B-1"))

    by_case = account_client.get("/_sandbox/ledger", params={"case": first}).json()
    by_creditor = account_client.get(
        "/_sandbox/ledger", params={"creditor": CREDS.creditor_ids[1], "kind": "invoice"}
    ).json()
    stats = account_client.get("/_sandbox/stats").json()

    assert {e["case"] for e in by_case["entries"]} == {first}
    assert [e["natural_key"] for e in by_creditor["entries"]] == [f"{CREDS.creditor_ids[1]}:B-1"]
    assert [e["seq"] for e in account_client.get("/_sandbox/ledger").json()["entries"]] == list(range(1, 9))
    assert stats["endpoints"]["POST /invoice--registrations"] == {"201": 2}


def test_refused_fields_make_the_sandbox_strict_for_those_fields_only(account_client):
    case = post(account_client, "/invoice--registrations", invoice(CREDS.creditor_id, "S-1")).json()["_case"]
    rules = {"rules": [{"path": "/creditor--cancellations", "field": "creditor_reference"}]}
    assert account_client.put("/_sandbox/refused-fields", json=rules).status_code == 200
    assert account_client.put("/_sandbox/refused-fields", json={"rules": [{"path": "/x"}]}).status_code == 422

    refused = post(account_client, "/creditor--cancellations", action(CREDS.creditor_id, case, creditor_reference="r"))
    assert (refused.status_code, refused.json()["_issues"]) == (422, {"creditor_reference": "unknown field"})
    assert account_client.get("/_sandbox/ledger", params={"kind": "cancellation"}).json()["total"] == 0
    accepted = post(account_client, "/creditor--cancellations", action(CREDS.creditor_id, case))
    assert accepted.status_code == 201
    # other endpoints keep the field
    payment = action(CREDS.creditor_id, case, creditor_payment_reference="r", amount=1, currency="SEK")
    assert "creditor_payment_reference" not in post(account_client, "/creditor--payments", payment).json().get(
        "_issues", {}
    )

    nested = {"rules": [{"path": "/case--registrations", "field": "debts.payout_reference"}]}
    account_client.put("/_sandbox/refused-fields", json=nested).raise_for_status()
    claim = case_registration(CREDS.creditor_id, "S-2", "S-3")
    claim["debts"][1]["payout_reference"] = "P-1"
    assert post(account_client, "/case--registrations", claim).json()["_issues"] == {
        "debts.1.payout_reference": "unknown field"
    }
    account_client.post("/_sandbox/reset").raise_for_status()
    assert account_client.get("/_sandbox/refused-fields").json() == {"rules": []}
