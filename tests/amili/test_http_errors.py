"""The error-mapping table, request ids, logging and the on_response hook, against a fake Amili."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.amili.fakes import Rig, json_response
from workers.amili import assumptions
from workers.amili.bodies import CancellationRegistration, RespiteRegistration
from workers.amili.client import AmiliClient
from workers.amili.errors import (
    AccessDenied,
    AuthError,
    ConflictError,
    EndpointError,
    NotFoundError,
    RateLimited,
    RejectedError,
    TransientError,
)
from workers.amili.http import retry_after_seconds

pytestmark = pytest.mark.anyio

CASE = "5f0c0c0c0c0c0c0c0c0c0c01"
CANCEL = CancellationRegistration(creditor="cred-1", case=CASE, creditor_reference="event-1")


async def read(rig: Rig) -> None:
    await rig.client.get_case(CASE)


async def write(rig: Rig) -> None:
    await rig.client.register_cancellation(CANCEL)


@pytest.mark.parametrize(
    ("status", "error", "landed_on_write"),
    [
        (400, RejectedError, False),
        (422, RejectedError, False),
        (401, AuthError, False),
        (403, AccessDenied, False),
        (405, EndpointError, False),
        (409, ConflictError, False),
        (412, ConflictError, False),
        (429, RateLimited, False),
        (408, TransientError, False),
        (410, RejectedError, False),
        (500, TransientError, True),
        (502, TransientError, True),
        (503, TransientError, True),
        (504, TransientError, True),
    ],
)
@pytest.mark.parametrize("call", [read, write], ids=["GET", "POST"])
async def test_status_maps_to_one_error_class(rig: Rig, status, error, landed_on_write, call):
    # Given: Amili answers every case call with this status
    answer = json_response(status, {"_status": "ERR", "_error": {"code": status, "message": "x"}})
    rig.amili.route("GET", f"/cases/{CASE}", answer)
    rig.amili.route("POST", "/creditor--cancellations", answer)
    # When / Then: the client raises exactly the mapped class, naming the endpoint template
    with pytest.raises(error) as caught:
        await call(rig)
    assert type(caught.value) is error
    assert caught.value.status == status
    assert caught.value.endpoint in {"/cases/{id}", "/creditor--cancellations"}
    assert caught.value.may_have_landed is (landed_on_write and call is write)


@pytest.mark.parametrize(
    ("call", "body", "error"),
    [
        # A document path answered by Eve: this document does not exist (a business "no").
        (read, {"_status": "ERR", "_error": {"code": 404, "message": "Not Found"}}, NotFoundError),
        # The same path answered by something that is not Eve (a router, a proxy): our URL is wrong.
        (read, {"detail": "Not Found"}, EndpointError),
        # A collection path has no document to be missing: the endpoint itself is not there.
        (write, {"_status": "ERR", "_error": {"code": 404, "message": "Not Found"}}, EndpointError),
    ],
    ids=["document", "document-path-not-eve", "collection"],
)
async def test_404_tells_a_missing_document_from_a_missing_endpoint(rig: Rig, call, body, error):
    rig.amili.route("GET", f"/cases/{CASE}", json_response(404, body))
    rig.amili.route("POST", "/creditor--cancellations", json_response(404, body))
    with pytest.raises(error) as caught:
        await call(rig)
    assert type(caught.value) is error


async def test_404_on_an_endpoint_we_only_assume_is_an_endpoint_error(rig: Rig):
    eve = json_response(404, {"_status": "ERR", "_error": {"code": 404, "message": "Not Found"}})
    rig.amili.route("POST", f"/creditor--respites/{CASE}", eve)
    body = RespiteRegistration(creditor="cred-1", respite_until=date(2026, 3, 1), reason="plan")
    with pytest.raises(EndpointError):
        await rig.client.register_respite(CASE, body)


async def test_rejection_keeps_field_issues_but_message_names_fields_only(rig: Rig):
    issues = {"amount": "must be positive", "customer": {"email": ["bad value 'a@b.se'", "too long"]}}
    rig.amili.route(
        "POST",
        "/creditor--cancellations",
        json_response(422, {"_status": "ERR", "_error": {"code": 422, "message": "m"}, "_issues": issues}),
    )
    with pytest.raises(RejectedError) as caught:
        await write(rig)
    assert caught.value.issues == {
        "amount": "must be positive",
        "customer.email": "bad value 'a@b.se'; too long",
    }
    assert "a@b.se" not in str(caught.value)
    assert "amount" in str(caught.value)
    assert "_issues" in (caught.value.response_excerpt or "")


async def test_429_carries_retry_after_seconds(rig: Rig):
    rig.amili.route("GET", f"/cases/{CASE}", json_response(429, {}, {"Retry-After": "7"}))
    with pytest.raises(RateLimited) as caught:
        await read(rig)
    assert caught.value.retry_after == 7.0


async def test_503_with_retry_after_is_rate_limited_and_may_have_landed_on_write(rig: Rig):
    rig.amili.route("POST", "/creditor--cancellations", json_response(503, {}, {"Retry-After": "3"}))
    with pytest.raises(RateLimited) as caught:
        await write(rig)
    assert caught.value.retry_after == 3.0
    assert caught.value.may_have_landed is True


def test_retry_after_reads_http_dates_and_is_capped():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    in_30s = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(in_30s, now=now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now) == 0.0
    assert retry_after_seconds("100000") == assumptions.MAX_RETRY_AFTER_SECONDS
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize(
    ("exc", "landed_on_write"),
    [
        (httpx.ConnectError, False),
        (httpx.ConnectTimeout, False),
        (httpx.PoolTimeout, False),
        (httpx.ReadTimeout, True),
        (httpx.WriteTimeout, True),
        (httpx.ReadError, True),
        (httpx.RemoteProtocolError, True),
    ],
)
@pytest.mark.parametrize("call", [read, write], ids=["GET", "POST"])
async def test_transport_failures_are_transient(rig: Rig, exc, landed_on_write, call):
    def fail(request: httpx.Request) -> httpx.Response:
        raise exc("boom", request=request)

    rig.amili.route("GET", f"/cases/{CASE}", fail)
    rig.amili.route("POST", "/creditor--cancellations", fail)
    with pytest.raises(TransientError) as caught:
        await call(rig)
    assert type(caught.value) is TransientError
    assert caught.value.status is None
    assert caught.value.may_have_landed is (landed_on_write and call is write)
    # the hook saw the attempt with no status
    assert rig.observed[-1][2] is None


async def test_request_id_is_sent_logged_and_on_the_error(rig: Rig, caplog):
    rig.amili.route("GET", f"/cases/{CASE}", json_response(404, {"_status": "ERR"}))
    with caplog.at_level(logging.DEBUG, logger="workers.amili"), pytest.raises(NotFoundError) as caught:
        await read(rig)
    sent = rig.amili.requests[-1]
    request_id = sent.headers["X-Request-ID"]
    assert uuid.UUID(request_id).version == 4
    assert caught.value.request_id == request_id
    record = next(r for r in caplog.records if getattr(r, "request_id", None) == request_id)
    assert record.endpoint == "/cases/{id}"
    assert record.status == 404
    # JSON-safe extras only, and no id or body in the log line
    json.dumps({k: getattr(record, k) for k in ("request_id", "method", "endpoint", "status")})
    assert CASE not in record.getMessage()
    assert sent.headers["User-Agent"].startswith("amili-fleet/")


async def test_on_response_gets_templates_never_ids(rig: Rig):
    rig.amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE}))
    await read(rig)
    endpoints = [(endpoint, method, status) for endpoint, method, status, _ in rig.observed]
    assert endpoints == [(assumptions.TOKEN_PATH, "GET", 200), ("/cases/{id}", "GET", 200)]
    assert all(seconds >= 0 for *_, seconds in rig.observed)


async def test_a_broken_metrics_hook_does_not_fail_the_call(settings, amili):
    def broken(*_args: object) -> None:
        raise RuntimeError("metrics down")

    amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE, "state": "invoice"}))
    async with AmiliClient(settings, transport=httpx.MockTransport(amili), on_response=broken) as client:
        case = await client.get_case(CASE)
    assert case.state == "invoice"
