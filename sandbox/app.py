"""The sandbox application: `create_app(seed_path, token_ttl=..., rng_seed=0) -> FastAPI`.

Wires the resources, auth, fault injection and request statistics around one `Sandbox` state
object (`app.state.sandbox`). Handlers take the raw request and answer bytes from
`sandbox.jsonio`, which keeps per-request work small enough for thousands of requests a second.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sandbox.auth import Authenticator
from sandbox.faults import FaultConfig, FaultMiddleware, Faults
from sandbox.http import ApiError, api_error_handler, error_response, json_response
from sandbox.reading import API_KEY_HEADER, DEFAULT_TOKEN_TTL_SECONDS, TOKEN_PATH
from sandbox.resources import actions, control, finance_routes, media, org, registrations, users
from sandbox.seed import SeedData, load_seed
from sandbox.stats import RouteTemplates, StatsMiddleware
from sandbox.store import Store
from sandbox.strict import RefusedFields


class Sandbox:
    """The mutable state behind one app: store (reset to the seed), auth, faults, stats."""

    def __init__(self, seed: SeedData, *, token_ttl: float, rng_seed: int) -> None:
        self.seed = seed
        self.rng_seed = rng_seed
        self.auth = Authenticator(seed.api_codes, token_ttl)
        self.faults = Faults()
        self.stats: Counter[tuple[str, str, int]] = Counter()
        self.refused_fields = RefusedFields()
        self.reset()

    def reset(self) -> None:
        """Back to the seed: fresh documents, ledger, clock, no faults, no refused fields, no stats.
        Tokens stay valid."""
        self.store = Store(seed=self.seed, rng_seed=self.rng_seed)
        org.populate(self.store)
        self.faults.set(FaultConfig())
        self.refused_fields = RefusedFields()
        self.stats.clear()


class SandboxApp(FastAPI):
    """FastAPI that hands uvicorn's own `send` down the stack, so a fault can close the socket."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope["sandbox.raw_send"] = send
        await super().__call__(scope, receive, send)


async def exchange_token(request: Request) -> Response:
    sandbox: Sandbox = request.app.state.sandbox
    return json_response(sandbox.auth.exchange(request.headers.get(API_KEY_HEADER.lower())))


async def http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_response(ApiError(exc.status_code, str(exc.detail), headers=dict(exc.headers or {})))


async def request_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    issues = {".".join(str(p) for p in e["loc"][1:]) or "request": str(e["msg"]) for e in exc.errors()}
    return error_response(ApiError(422, "Validation failed", issues=issues))


def create_app(
    seed_path: Path | str | None = None,
    *,
    token_ttl: float = DEFAULT_TOKEN_TTL_SECONDS,
    rng_seed: int = 0,
) -> FastAPI:
    """A fresh sandbox app loaded from `seed_path` (default: the demo seed)."""
    app = SandboxApp(
        title="Amili sandbox",
        version="1",
        description="A stateful simulator of the Amili (Visma Amili AB) creditor and partner APIs. "
        "Local use only: /_sandbox/* needs no token.",
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.sandbox = Sandbox(load_seed(seed_path), token_ttl=token_ttl, rng_seed=rng_seed)
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, request_error)
    app.add_api_route(
        TOKEN_PATH,
        exchange_token,
        methods=["GET"],
        tags=["auth"],
        openapi_extra={
            "parameters": [{"name": API_KEY_HEADER, "in": "header", "required": False, "schema": {"type": "string"}}]
        },
    )
    for module in (registrations, actions, media, finance_routes, org, users, control):
        module.register(app)
    # Added last = outermost: stats see every answer, including injected faults.
    app.add_middleware(FaultMiddleware, faults=app.state.sandbox.faults)
    app.add_middleware(StatsMiddleware, stats=app.state.sandbox.stats, templates=RouteTemplates())
    return app
