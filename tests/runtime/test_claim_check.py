"""Claim-check fetches against a real HTTPS host on loopback: hosts, addresses, redirects, size, TLS.

Every refusal is a RejectedError naming `data.url` (a `rejected` outcome for the producer).
"""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from tests.fixtures.documents import PDF, Answer, DocumentHost
from tests.runtime.aio import run_async
from workers.amili.errors import RejectedError, TransientError
from workers.runtime.claim_check import DocumentFetcher, DocumentFetchSettings

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def fetcher(host: DocumentHost, **overrides: Any) -> DocumentFetcher:
    settings: dict[str, Any] = {"allowed_hosts": ["localhost"], "allowed_networks": LOOPBACK, "ca_file": host.ca_file}
    settings.update(overrides)
    return DocumentFetcher(DocumentFetchSettings(**settings))


async def refused(fetch: DocumentFetcher, url: str) -> str:
    with pytest.raises(RejectedError) as caught:
        await fetch.fetch(url, "data.url")
    assert list(caught.value.issues) == ["data.url"]
    return caught.value.issues["data.url"]


@run_async
async def test_an_allowed_https_document_is_fetched(document_host: DocumentHost):
    document_host.answers["/inv.pdf"] = Answer(body=PDF)
    async with fetcher(document_host) as fetch:
        assert await fetch.fetch(document_host.url("/inv.pdf")) == PDF


@run_async
async def test_plain_http_and_hosts_not_allowed_are_refused(document_host: DocumentHost):
    document_host.answers["/inv.pdf"] = Answer()
    async with fetcher(document_host, allowed_hosts=["docs.example.com"]) as fetch:
        assert "not allowed" in await refused(fetch, document_host.url("/inv.pdf"))
        assert "https" in await refused(fetch, f"http://localhost:{document_host.port}/inv.pdf")
    async with fetcher(document_host, allowed_hosts=[]) as nothing_allowed:
        assert "not allowed" in await refused(nothing_allowed, document_host.url("/inv.pdf"))
    assert document_host.requests == []


@run_async
async def test_loopback_is_refused_unless_its_network_is_allowed(document_host: DocumentHost):
    document_host.answers["/inv.pdf"] = Answer()
    async with fetcher(document_host, allowed_networks=[]) as fetch:
        assert "non-public address" in await refused(fetch, document_host.url("/inv.pdf"))
    async with fetcher(document_host, allowed_hosts=["127.0.0.1"], allowed_networks=[]) as by_ip:
        assert "non-public address" in await refused(by_ip, document_host.url("/inv.pdf", host="127.0.0.1"))
    assert document_host.requests == []


@run_async
async def test_a_host_that_resolves_to_a_private_address_is_refused_before_connecting(document_host: DocumentHost):
    async def rebinding(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.7"]  # one public answer does not make the private one safe

    settings = DocumentFetchSettings(allowed_hosts=["docs.example.com"])
    async with DocumentFetcher(settings, resolver=rebinding) as fetch:
        assert "non-public address" in await refused(fetch, "https://docs.example.com/inv.pdf")
    for private in ("169.254.169.254", "::ffff:127.0.0.1", "fd00::1", "192.168.1.2"):

        async def resolves(host: str, port: int, address: str = private) -> list[str]:
            return [address]

        async with DocumentFetcher(settings, resolver=resolves) as fetch:
            assert "non-public address" in await refused(fetch, "https://docs.example.com/x.pdf")


@run_async
async def test_every_redirect_is_checked_again(document_host: DocumentHost):
    document_host.answers["/to-metadata"] = Answer(302, b"", {"Location": "https://169.254.169.254/latest/"})
    document_host.answers["/to-http"] = Answer(301, b"", {"Location": f"http://localhost:{document_host.port}/x"})
    document_host.answers["/to-other"] = Answer(307, b"", {"Location": "https://evil.example/x.pdf"})
    document_host.answers["/hop"] = Answer(302, b"", {"Location": "/inv.pdf"})
    document_host.answers["/loop"] = Answer(302, b"", {"Location": "/loop"})
    document_host.answers["/inv.pdf"] = Answer(body=PDF)
    async with fetcher(document_host, max_redirects=2) as fetch:
        assert "not allowed" in await refused(fetch, document_host.url("/to-metadata"))
        assert "https" in await refused(fetch, document_host.url("/to-http"))
        assert "not allowed" in await refused(fetch, document_host.url("/to-other"))
        assert await fetch.fetch(document_host.url("/hop")) == PDF  # a relative redirect on an allowed host
        assert "redirects" in await refused(fetch, document_host.url("/loop"))
    assert document_host.requests.count("/loop") == 3  # the first request and two redirects, no more


@run_async
async def test_the_size_limit_holds_while_streaming(document_host: DocumentHost):
    document_host.answers["/endless"] = Answer(chunks=10_000)  # 640 MB without a Content-Length
    document_host.answers["/declared"] = Answer(body=b"%PDF-" + b"x" * 300_000)
    async with fetcher(document_host, max_bytes=200_000) as fetch:
        assert "larger than 200000 bytes" in await refused(fetch, document_host.url("/endless"))
        assert "larger than 200000 bytes" in await refused(fetch, document_host.url("/declared"))


@run_async
async def test_host_errors_are_refusals_or_transient(document_host: DocumentHost):
    document_host.answers["/gone"] = Answer(404, b"no")
    document_host.answers["/busy"] = Answer(503, b"later")
    async with fetcher(document_host) as fetch:
        assert "(404)" in await refused(fetch, document_host.url("/gone"))
        with pytest.raises(TransientError):
            await fetch.fetch(document_host.url("/busy"))
    # A certificate nobody configured trust for is refused, not retried for fifteen minutes.
    async with fetcher(document_host, ca_file=None) as untrusting:
        assert "certificate" in await refused(untrusting, document_host.url("/gone"))
