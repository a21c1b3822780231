"""The `/_sandbox` controls: reset, clock, ledger filters, stats."""

from __future__ import annotations

from tests.fixtures.sandbox import demo_credentials
from tests.sandbox.builders import invoice, post

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
