"""The case lifecycle on the sandbox clock: stages, deterministic ends, finance rows, respite."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sandbox.app import create_app
from sandbox.dates import Rfc1123, parse_rfc1123
from sandbox.reading import API_KEY_HEADER, CLOSURE_REASONS
from tests.fixtures.sandbox import demo_credentials, fetch_token, make_client
from tests.sandbox.builders import data, invoice, post

CREDS = demo_credentials()
CREDITOR = CREDS.creditor_id


def register_due_in(client, number: str, days: int) -> str:
    now = parse_rfc1123(client.get("/_sandbox/clock").json()["now"])
    body = invoice(CREDITOR, number, invoice_date=Rfc1123(now), invoice_due_date=Rfc1123(now + timedelta(days=days)))
    return str(post(client, "/invoice--registrations", body).json()["_case"])


def advance(client, days: int) -> None:
    assert client.post("/_sandbox/clock/advance", json={"days": days}).status_code == 200


def all_cases(client) -> list[dict[str, Any]]:
    items = []
    for page in (1, 2):
        items += data(client.get("/cases", params={"max_results": "100", "page": str(page), "sort": "_created"}))[
            "_items"
        ]
    return items


def run_portfolio(rng_seed: int) -> list[dict[str, Any]]:
    with make_client(create_app(rng_seed=rng_seed)) as client:
        client.headers[API_KEY_HEADER] = fetch_token(client, CREDS.account_api_code, CREDS.account_key_path)
        for n in range(120):
            register_due_in(client, f"L-{n}", 10)
        for _ in range(8):
            advance(client, 10)
        return all_cases(client)


def test_every_case_reaches_a_deterministic_end_through_the_stages():
    cases = run_portfolio(rng_seed=0)

    reasons = Counter(c["closed"]["reason"] for c in cases)
    assert set(reasons) <= set(CLOSURE_REASONS)
    assert reasons["paid"] > len(cases) / 2  # most are paid
    assert reasons["written_off"] > 0
    assert reasons["bankruptcy"] > 0
    for case in cases:
        states = [h["state"] for h in case["state_history"]]
        assert states[0] == "invoice"
        assert states[-1] == "closed"
        assert states[:-1] == ["invoice", "reminder", "debt_collection"][: len(states) - 1]
        assert case["status_history"][-1]["status"] == "closed"
    # the same seed gives the same ends
    assert [c["closed"]["reason"] for c in run_portfolio(rng_seed=0)] == [c["closed"]["reason"] for c in cases]


def test_stages_charge_fees_and_update_the_watermark(account_client):
    case_id = register_due_in(account_client, "W-1", 10)
    created = data(account_client.get(f"/cases/{case_id}"))

    advance(account_client, 18)  # due + 7 days of grace: reminder, unless the case was paid at once
    case = data(account_client.get(f"/cases/{case_id}"))

    assert case["_updated"] != created["_updated"]
    where = json.dumps({"_updated": {"$gt": created["_updated"]}})
    assert [c["_id"] for c in data(account_client.get("/cases", params={"where": where}))["_items"]] == [case_id]
    if case["state"] == "reminder":
        assert case["local_remaining_costs_amount"] == Decimal("60.00")
        assert data(account_client.get(f"/invoices/{case['invoice']}"))["case_state"] == "reminder"
    else:
        assert case["closed"]["reason"] == "paid"


def test_collected_cases_book_specifications_and_weekly_payouts(account_client):
    for n in range(10):
        register_due_in(account_client, f"F-{n}", 5)
    advance(account_client, 90)

    rows = data(account_client.get("/finance--payout-specifications", params={"max_results": "100"}))["_items"]
    payouts = data(account_client.get("/finance--payouts", params={"max_results": "100"}))["_items"]
    paid = [c for c in all_cases(account_client) if c["closed"]["reason"] == "paid"]

    capital = [r for r in rows if r["finance_category"] == "capital"]
    assert len(capital) == len(paid) > 0
    assert all(r["payout"] for r in rows)  # every week that ended was paid out
    for payout in payouts:
        mine = [r for r in rows if r["payout"] == payout["_id"]]
        assert payout["total_amount"] == sum((r["total_amount"] for r in mine), Decimal(0))
        assert {r["finance_category"] for r in mine} == {payout["finance_category"]}
        assert set(payout["summary"]) == {r["article"] for r in mine}


def test_respite_holds_the_case_until_its_date(account_client):
    case_id = register_due_in(account_client, "R-1", 5)
    now = parse_rfc1123(account_client.get("/_sandbox/clock").json()["now"])
    until = Rfc1123(now + timedelta(days=60))
    body = {
        "creditor": CREDITOR,
        "respite_until": until,
        "reason": "dispute",
        "creditor_reference": "r-1",
        "origin": "creditor_system",
    }

    granted = post(account_client, f"/creditor--respites/{case_id}", body)
    advance(account_client, 59)
    held = data(account_client.get(f"/cases/{case_id}"))
    advance(account_client, 2)
    moved = data(account_client.get(f"/cases/{case_id}"))

    assert granted.status_code == 201
    assert granted.json()["status"] == "completed"
    assert [h["state"] for h in held["state_history"]] == ["invoice"]
    assert len(moved["state_history"]) == 2
    listed = data(account_client.get("/creditor--respites"))["_items"]
    assert [r["case"] for r in listed] == [case_id]
