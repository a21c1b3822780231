"""Claim-check documents end to end (broker, worker process, sandbox, an HTTPS document host on loopback):
an allowed URL is fetched and uploaded; a redirect to another host or to the link-local metadata
address, and a body over the limit, are `rejected` outcomes naming `data.url`, and nothing is uploaded.

Cost: one broker and one worker (~4 s to join), ~4 s of traffic.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.fixtures.documents import PDF, Answer, DocumentHost
from workers.demo.traffic import Traffic

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def host():
    with DocumentHost() as running:
        yield running


@pytest.fixture(scope="module")
def fleet(fleet_run, host):
    # The worker may fetch from this host only, on loopback only because this network is allowed.
    return fleet_run(
        ("register_invoice", "upload_document"),
        DOCUMENT_FETCH_ALLOWED_HOSTS=json.dumps(["localhost"]),
        DOCUMENT_FETCH_ALLOWED_NETWORKS=json.dumps(["127.0.0.0/8"]),
        DOCUMENT_FETCH_CA_FILE=str(host.ca_file),
        DOCUMENT_FETCH_MAX_BYTES="100000",
    )


def test_claim_check_urls_are_fetched_only_where_allowed(fleet, host, sandbox):
    traffic = Traffic({sandbox.credentials.creditor_id: sandbox.credentials.account_id}, seed=59)
    host.answers.update(
        {
            "/ok.pdf": Answer(body=PDF),
            "/to-metadata.pdf": Answer(302, b"", {"Location": "https://169.254.169.254/latest/meta-data/"}),
            "/to-elsewhere.pdf": Answer(302, b"", {"Location": "https://files.example.net/x.pdf"}),
            "/huge.pdf": Answer(chunks=200),  # 12.8 MB, no Content-Length
        }
    )
    invoices = [traffic.invoice_issued() for _ in range(4)]
    cases = [fleet.send("register_invoice", i)["amili_ids"]["case"] for i in invoices]
    paths = ["/ok.pdf", "/to-metadata.pdf", "/to-elsewhere.pdf", "/huge.pdf"]
    sent = [
        fleet.publish(
            "upload_document",
            traffic.document(i.creditor, i.invoice_number).model_copy(
                update={"content_base64": None, "url": host.url(path), "sha256": None}
            ),
        )
        for i, path in zip(invoices, paths, strict=True)
    ]
    outcomes = fleet.wait(*sent)
    ok, metadata, elsewhere, huge = (outcomes[s] for s in sent)
    assert ok["status"] == "succeeded"
    assert ok["detail"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    for refused in (metadata, elsewhere, huge):
        assert refused["status"] == "rejected"
        assert [e["field"] for e in refused["errors"]] == ["data.url"]
    assert "not allowed" in metadata["errors"][0]["message"]
    assert "not allowed" in elsewhere["errors"][0]["message"]
    assert "larger than 100000 bytes" in huge["errors"][0]["message"]
    # Amili holds the one allowed document, on its case
    media = sandbox.ledger(kind="media")["entries"]
    assert [e["case"] for e in media] == [cases[0]]
