"""Fault injection on a real sandbox over loopback: errors, latency, 429 bursts, hangs, dropped writes."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.sandbox.builders import invoice, post

pytestmark = pytest.mark.integration


def test_error_rate_hits_only_the_selected_endpoint(sandbox):
    sandbox.set_faults(
        {"path": "/cases/{item_id}", "method": "GET", "error_rate": 1.0, "error_status": 503, "retry_after": 3}
    )
    with sandbox.client() as client:
        faulted = client.get(f"/cases/{'0' * 24}")
        other = client.get("/cases")

    assert faulted.status_code == 503
    assert faulted.headers["retry-after"] == "3"
    assert faulted.json()["_status"] == "ERR"
    assert other.status_code == 200
    assert sandbox.stats()["endpoints"]["GET /cases/{item_id}"] == {"503": 1}


def test_faults_are_deterministic_for_a_seed(sandbox):
    def statuses() -> list[int]:
        with sandbox.client() as client:
            sandbox.set_faults({"path": "*", "error_rate": 0.5, "error_status": 500}, seed=7)
            return [client.get("/cases").status_code for _ in range(20)]

    first, second = statuses(), statuses()
    assert first == second
    assert set(first) == {200, 500}


def test_rate_limit_burst_with_retry_after_then_recovery(sandbox):
    sandbox.set_faults({"path": "/cases", "rate_limit": {"burst": 3, "retry_after": 2}})
    with sandbox.client() as client:
        answers = [client.get("/cases") for _ in range(4)]

    assert [a.status_code for a in answers] == [429, 429, 429, 200]
    assert answers[0].headers["retry-after"] == "2"
    assert sandbox.control.get("/_sandbox/faults").json()["injected"] == {"rate_limit": 3}


def test_fixed_latency_delays_and_times_limits_injections(sandbox):
    sandbox.set_faults(
        {"path": "/cases", "latency": {"distribution": "fixed", "ms": 150}, "error_rate": 1.0, "times": 1}
    )
    with sandbox.client() as client:
        started = time.monotonic()
        first = client.get("/cases")
        slow = time.monotonic() - started
        second = client.get("/cases")

    assert first.status_code == 503
    assert slow >= 0.15
    assert second.status_code == 200  # the rule injected once and is spent


def test_a_hanging_request_times_the_client_out(sandbox):
    sandbox.set_faults({"path": "/cases", "hang_rate": 1.0, "hang_seconds": 30})
    with sandbox.client(timeout=0.3) as client, pytest.raises(httpx.ReadTimeout):
        client.get("/cases")
    sandbox.clear_faults()
    with sandbox.client() as client:
        assert client.get("/cases").status_code == 200


def test_drop_after_write_applies_the_write_and_drops_the_connection(sandbox):
    creditor = sandbox.credentials.creditor_id
    sandbox.set_faults({"path": "/invoice--registrations", "method": "POST", "drop_after_write_rate": 1.0})

    with sandbox.client() as client:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
            post(client, "/invoice--registrations", invoice(creditor, "DROP-1"))
        listed = client.get("/cases", params={"where": '{"debt.invoice_number": "DROP-1"}'}).json()

    # The side effect landed although the client saw no answer: exactly what reconcile mode must handle
    assert listed["_meta"]["total"] == 1
    assert sandbox.ledger(kind="case")["counts"]["case"] == {f"{creditor}:DROP-1": 1}


def test_sandbox_controls_are_never_faulted_and_bad_configs_are_422(sandbox):
    sandbox.set_faults({"path": "*", "error_rate": 1.0})
    assert sandbox.control.get("/_sandbox/ledger").status_code == 200
    bad = sandbox.control.put(
        "/_sandbox/faults", json={"rules": [{"error_rate": 2, "latency": {"distribution": "pareto"}}]}
    )
    assert bad.status_code == 422
    assert {"rules.0.error_rate", "rules.0.latency.distribution"} <= set(bad.json()["_issues"])
