"""A fake Amili behind httpx.MockTransport: real token checks, scripted answers, recorded requests.

The token endpoint verifies the JWT assertion with the public key, issues numbered tokens and can
revoke them; every other route checks X-API-Key against the live tokens (401 otherwise) and then
answers from a route table. Nothing is patched: the client under test runs its real code.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from schemas import jsonio
from workers.amili import assumptions
from workers.amili.client import AmiliClient
from workers.amili.settings import AmiliSettings

Handler = Callable[[httpx.Request], httpx.Response]


def new_ec_key_pem() -> tuple[str, bytes]:
    """A fresh P-256 private key (PEM text) and its public key (PEM bytes)."""
    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status, content=jsonio.dumps(body), headers={"Content-Type": "application/json", **(headers or {})}
    )


@dataclass
class FakeAmili:
    """Scripted Amili: `routes[(METHOD, path)]` answers; `requests` records everything but token calls."""

    public_keys: dict[str, bytes]
    algorithm: str = "ES256"
    token_ttl: float | None = 900
    exchange_delay: float = 0.0
    routes: dict[tuple[str, str], Handler] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    live_tokens: dict[str, str] = field(default_factory=dict)  # token -> api_code
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def route(self, method: str, path: str, handler: Handler | httpx.Response) -> None:
        if isinstance(handler, httpx.Response):
            answer = handler
            self.routes[(method, path)] = lambda _request: answer
        else:
            self.routes[(method, path)] = handler

    def revoke_all(self) -> None:
        self.live_tokens.clear()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == assumptions.TOKEN_PATH:
            return await self._exchange(request)
        self.requests.append(request)
        if request.headers.get(assumptions.API_KEY_HEADER) not in self.live_tokens:
            return json_response(401, {"_status": "ERR", "_error": {"code": 401, "message": "expired"}})
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return json_response(404, {"_status": "ERR", "_error": {"code": 404, "message": "not found"}})
        return handler(request)

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        assertion = request.headers[assumptions.API_KEY_HEADER]
        code = jwt.decode(assertion, options={"verify_signature": False})["api_code"]
        claims = jwt.decode(assertion, self.public_keys[code], algorithms=[self.algorithm])
        self.exchanges.append({"claims": claims, "header": jwt.get_unverified_header(assertion)})
        if self.exchange_delay:
            await asyncio.sleep(self.exchange_delay)  # lets concurrent callers pile up on the lock
        token = f"token-{next(self._numbers)}"
        self.live_tokens[token] = code
        body: dict[str, Any] = {assumptions.TOKEN_FIELD: token}
        if self.token_ttl is not None:
            body[assumptions.TOKEN_EXPIRES_IN_FIELD] = self.token_ttl
        return json_response(200, body)


@dataclass
class Rig:
    """A client wired to a FakeAmili, with a hand-driven clock and the on_response calls recorded."""

    client: AmiliClient
    amili: FakeAmili
    observed: list[tuple[str, str, int | None, float]]
    clock: list[float]

    def advance(self, seconds: float) -> None:
        self.clock[0] += seconds


def make_rig(settings: AmiliSettings, amili: FakeAmili) -> Rig:
    observed: list[tuple[str, str, int | None, float]] = []
    clock = [1000.0]
    client = AmiliClient(
        settings,
        transport=httpx.MockTransport(amili),
        on_response=lambda *args: observed.append(args),
        clock=lambda: clock[0],
    )
    return Rig(client=client, amili=amili, observed=observed, clock=clock)
