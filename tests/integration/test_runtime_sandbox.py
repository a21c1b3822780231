"""End to end with the real use cases and the Amili sandbox: invoices, then a payment for each, upstream
duplicates, and a sandbox that fails writes, or applies them and drops the connection."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest

from schemas import jsonio
from schemas.catalog import USE_CASES
from schemas.samples import example_json
from tests.fixtures.runtime import TopicWatcher, WorkerProcess, outcome_statuses, produce

pytestmark = pytest.mark.integration

INVOICES = 24


def _invoice(creditor: str, account: str, number: str) -> dict[str, Any]:
    body = example_json("se.amili-fleet.billing.invoice-issued.v1")
    body["id"] = str(uuid.uuid4())
    body["subject"] = number
    body["data"]["creditor"].update(id=creditor, account=account)
    body["data"]["invoice_number"] = number
    return dict(body)


def _payment(creditor: str, account: str, number: str) -> dict[str, Any]:
    body = example_json("se.amili-fleet.billing.payment-received.v1")
    body["id"] = str(uuid.uuid4())
    body["data"]["creditor"].update(id=creditor, account=account)
    body["data"]["case"] = {"invoice_number": number}
    body["data"].pop("payment_reference", None)  # the event id becomes the payment's reference
    return dict(body)


def test_invoices_and_payments_through_sandbox_faults_are_applied_once_in_order(
    bootstrap, make_name, ledger, sandbox, workers, watchers
):
    # Given 24 invoices, each followed on its key by a payment, with 6 upstream duplicates
    creds = sandbox.credentials
    creditor, account = creds.creditor_id, creds.account_id
    numbers = [f"E2E-{uuid.uuid4().hex[:6]}-{i}" for i in range(INVOICES)]
    invoices = [_invoice(creditor, account, n) for n in numbers]
    payments = [_payment(creditor, account, n) for n in numbers]
    invoice_topic = USE_CASES["register_invoice"].topic
    payment_topic = USE_CASES["register_payment"].topic

    def record(body: dict[str, Any]) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
        data = body["data"]
        number = data["invoice_number"] if "invoice_number" in data else data["case"]["invoice_number"]
        return f"{creditor}:{number}".encode(), jsonio.dumps(body), []

    # and a sandbox that fails 15% of writes with 503 and drops the connection after 15% of them
    sandbox.set_faults(
        {"path": "/invoice--registrations", "method": "POST", "error_rate": 0.15, "drop_after_write_rate": 0.15},
        {"path": "/creditor--payments", "method": "POST", "error_rate": 0.15, "drop_after_write_rate": 0.15},
        seed=3,
    )
    produce(bootstrap, invoice_topic, [record(b) for b in invoices + invoices[:6]])
    env = {
        "AMILI_BASE_URL": sandbox.base_url,
        "AMILI_APP_URL": "https://app.sandbox.test",
        "AMILI_API_CODE": creds.account_api_code,
        "AMILI_PRIVATE_KEY_FILE": str(creds.account_key_path),
        "AMILI_READ_TIMEOUT": "5",
    }
    worker = WorkerProcess(bootstrap, invoice_topic, ledger.url, make_name("g") + ".", **env)
    worker.use_cases = ("register_invoice", "register_payment")
    workers.append(worker.start())
    outcomes = TopicWatcher(bootstrap, "amili.outcomes")
    watchers.append(outcomes)
    invoice_ids = {b["id"] for b in invoices}
    outcomes.wait_until(lambda records: invoice_ids <= set(outcome_statuses(records)), 90, "invoice outcomes")
    # When the payments follow
    produce(bootstrap, payment_topic, [record(b) for b in payments])
    payment_ids = {b["id"] for b in payments}
    outcomes.wait_until(lambda records: payment_ids <= set(outcome_statuses(records)), 90, "payment outcomes")
    assert worker.metric("amili_fleet_retries_total") > 0  # the faults did bite
    assert worker.metric("amili_fleet_amili_request_duration_seconds_count", endpoint="/invoice--registrations") > 0
    assert worker.terminate() == 0

    # Then every invoice and payment succeeded, with a deep link, and exactly one outcome status each
    statuses = outcome_statuses(outcomes.records)
    assert all(statuses[i] == {"succeeded"} for i in invoice_ids | payment_ids), {
        i: statuses[i] for i in invoice_ids | payment_ids if statuses[i] != {"succeeded"}
    }
    mine = [orjson.loads(r.value)["data"] for r in outcomes.records]
    assert all(d["case_url"] for d in mine if d["source_event"]["id"] in invoice_ids)
    # and the sandbox created each invoice and each payment exactly once
    book = sandbox.ledger(creditor=creditor)
    assert book["duplicates"] == {}
    kinds: dict[str, int] = {}
    for entry in book["entries"]:
        kinds[entry["kind"]] = kinds.get(entry["kind"], 0) + 1
    payment_kind = next(kind for kind in kinds if "payment" in kind)
    assert (kinds["invoice_registration"], kinds[payment_kind]) == (INVOICES, INVOICES), kinds
    # and each payment landed on its own invoice's case, after the registration
    first_seen: dict[str, str] = {}
    for entry in book["entries"]:
        if entry["case"] and entry["kind"] in ("invoice_registration", payment_kind):
            first_seen.setdefault(entry["case"], entry["kind"])
    assert len(first_seen) == INVOICES
    assert set(first_seen.values()) == {"invoice_registration"}
