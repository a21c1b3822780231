"""Claim-check fetches: a document an event points to by URL, fetched safely (use case 3 and any later one).

The URL comes from a producer, so the worker must not become a way into its own network:

- only `https`; only hosts allowed by `DOCUMENT_FETCH_ALLOWED_HOSTS` (exact names, or `*.example.com`
  for its subdomains); no URL is fetched while the list is empty;
- the host is resolved here and every address it resolves to must be public (not loopback, private,
  link-local, multicast, reserved ...) unless it lies in `DOCUMENT_FETCH_ALLOWED_NETWORKS`; the
  connection then goes to the checked address (TLS still verifies the host name), so a second DNS
  answer cannot swap it;
- redirects are followed by hand, at most `DOCUMENT_FETCH_MAX_REDIRECTS`, each target checked again;
- the size limit is enforced while streaming (and on Content-Length before).

Every refusal is a `RejectedError` naming the event's field (`data.url`), so the producer gets a
`rejected` outcome saying why; a 5xx, 429 or transport failure of the document host is transient.
Settings are loaded once by `amili-fleet run` and the fetcher is handed to use cases as `ctx.documents`.
"""

from __future__ import annotations

import asyncio
import fnmatch
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urljoin

import httpx
from pydantic import Field, IPvAnyNetwork
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.amili import assumptions
from workers.amili.errors import RejectedError, TransientError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: host, port -> the addresses it resolves to (tests may pass their own).
Resolver = Callable[[str, int], Awaitable[list[str]]]


class DocumentFetchSettings(BaseSettings):
    """Where claim-check documents may come from; every field can be set as `DOCUMENT_FETCH_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="DOCUMENT_FETCH_", extra="ignore")

    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="host names documents may be fetched from (JSON list; '*.example.com' for subdomains); "
        "empty: no URL is fetched",
    )
    allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="non-public networks allowed anyway (JSON list, e.g. a local document server's 127.0.0.1/32)",
    )
    max_bytes: int = Field(default=assumptions.MEDIA_MAX_BYTES, ge=1, le=assumptions.MEDIA_MAX_BYTES)
    max_redirects: int = Field(default=3, ge=0, le=10)
    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    ca_file: Path | None = Field(default=None, description="extra CA bundle to trust (a private CA)")


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class DocumentFetcher:
    """Fetches claim-check URLs under `DocumentFetchSettings`; one instance (one connection pool) per process."""

    def __init__(self, settings: DocumentFetchSettings, *, resolver: Resolver = system_resolver) -> None:
        self.settings = settings
        self._resolve = resolver
        tls = ssl.create_default_context()
        if settings.ca_file is not None:
            tls.load_verify_locations(cafile=str(settings.ca_file))
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout),
            verify=tls,
            follow_redirects=False,  # every hop is checked here
            trust_env=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(self, url: str, field: str = "data.url") -> bytes:
        """The document's bytes; RejectedError naming `field` for every refusal, TransientError for trouble."""
        for _hop in range(self.settings.max_redirects + 1):
            target = httpx.URL(url)
            address = await self._checked_address(target, field)
            pinned = target.copy_with(host=address)
            host_header = target.host if target.port in (None, 443) else f"{target.host}:{target.port}"
            try:
                async with self._client.stream(
                    "GET", pinned, headers={"Host": host_header}, extensions={"sni_hostname": target.host}
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise _refused(field, "the document host redirected without a location")
                        url = urljoin(str(target), location)
                        continue
                    return await self._body(response, field)
            except httpx.TransportError as exc:
                if _untrusted_certificate(exc):
                    raise _refused(field, "the document host's TLS certificate is not trusted") from None
                raise TransientError(f"fetching the document failed: {type(exc).__name__}") from exc
        raise _refused(field, f"more than {self.settings.max_redirects} redirects")

    async def _checked_address(self, url: httpx.URL, field: str) -> str:
        """The address to connect to, after the scheme, host and every resolved address passed the rules."""
        if url.scheme != "https":
            raise _refused(field, "only https URLs are fetched")
        host = url.host
        if not host or not self._host_allowed(host):
            raise _refused(field, f"the host {host!r} is not allowed (DOCUMENT_FETCH_ALLOWED_HOSTS)")
        try:
            resolved = [ipaddress.ip_address(host)]
        except ValueError:
            try:
                resolved = [ipaddress.ip_address(a.split("%")[0]) for a in await self._resolve(host, url.port or 443)]
            except OSError as exc:
                raise TransientError(f"resolving the document host failed: {type(exc).__name__}") from exc
        if not resolved:
            raise TransientError("the document host resolved to no address")
        for address in resolved:
            if not self._address_allowed(address):
                raise _refused(
                    field, "the host resolves to a loopback, private, link-local or other non-public address"
                )
        return str(resolved[0])

    def _host_allowed(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(
            host == pattern.lower() or (pattern.startswith("*.") and fnmatch.fnmatchcase(host, pattern.lower()))
            for pattern in self.settings.allowed_hosts
        )

    def _address_allowed(self, address: IPAddress) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        if any(address in network for network in self.settings.allowed_networks):
            return True
        return address.is_global and not address.is_multicast

    async def _body(self, response: httpx.Response, field: str) -> bytes:
        status = response.status_code
        if status >= 500 or status == 429:
            raise TransientError(f"document host answered {status}", status=status)
        if status != 200:
            raise _refused(field, f"the document could not be fetched ({status})")
        limit = self.settings.max_bytes
        declared = response.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _refused(field, f"larger than {limit} bytes")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise _refused(field, f"larger than {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)


def _refused(field: str, reason: str) -> RejectedError:
    return RejectedError(f"document fetch refused: {reason}", issues={field: reason})


def _untrusted_certificate(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
