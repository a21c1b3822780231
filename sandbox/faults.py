"""Fault injection: errors, latency, 429 bursts, hanging requests, and "apply the write, then drop".

Rules select requests by path template (or raw path, or `*`) and method (or `*`). Every matching
rule adds its latency; the first that injects a fault decides the answer. All randomness comes
from one `random.Random(seed)`, so a test replays the same faults. `/_sandbox/*` is never faulted
(the controls must keep working).

"Drop after write" runs the request normally (the side effect is applied and in the ledger) and
then closes the socket before a byte of the answer is written: the client sees the connection
drop (httpx `RemoteProtocolError`) exactly as when a real server dies after committing.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sandbox import jsonio
from sandbox.reading import ERROR_FIELD, ERROR_STATUS_FIELD
from sandbox.stats import matches


class Latency(BaseModel):
    """fixed: `ms`; uniform: `low_ms`..`high_ms`; lognormal: `median_ms` and `sigma`."""

    model_config = ConfigDict(extra="forbid")
    distribution: Literal["fixed", "uniform", "lognormal"] = "fixed"
    ms: float = Field(0.0, ge=0, le=600_000)
    low_ms: float = Field(0.0, ge=0, le=600_000)
    high_ms: float = Field(0.0, ge=0, le=600_000)
    median_ms: float = Field(0.0, ge=0, le=600_000)
    sigma: float = Field(0.5, ge=0, le=5)

    def sample(self, rng: random.Random) -> float:
        """A delay in seconds."""
        if self.distribution == "fixed":
            return self.ms / 1000
        if self.distribution == "uniform":
            return rng.uniform(self.low_ms, max(self.low_ms, self.high_ms)) / 1000
        return min(rng.lognormvariate(math.log(max(self.median_ms, 0.001)), self.sigma), 600_000) / 1000


class RateLimit(BaseModel):
    """`burst` consecutive 429s with Retry-After; again after every `every` passing requests."""

    model_config = ConfigDict(extra="forbid")
    burst: int = Field(1, ge=1)
    retry_after: float = Field(1.0, ge=0)
    every: int | None = Field(None, ge=1)


class FaultRule(BaseModel):
    """One rule; rates are probabilities in [0, 1]."""

    model_config = ConfigDict(extra="forbid")
    path: str = "*"
    method: str = "*"
    error_rate: float = Field(0.0, ge=0, le=1)
    error_status: int = Field(503, ge=400, le=599)
    retry_after: float | None = Field(None, ge=0)
    latency: Latency | None = None
    rate_limit: RateLimit | None = None
    hang_rate: float = Field(0.0, ge=0, le=1)
    hang_seconds: float = Field(300.0, gt=0, le=3600)
    drop_after_write_rate: float = Field(0.0, ge=0, le=1)
    times: int | None = Field(None, ge=1, description="stop after injecting this many faults")


class FaultConfig(BaseModel):
    """The whole fault setup: a seed and the rules."""

    model_config = ConfigDict(extra="forbid")
    seed: int = 0
    rules: list[FaultRule] = Field(default_factory=list)


class _RuleState:
    def __init__(self, rule: FaultRule) -> None:
        self.rule = rule
        self.injected = 0
        self.burst_left = rule.rate_limit.burst if rule.rate_limit else 0
        self.passed = 0

    def active(self) -> bool:
        return self.rule.times is None or self.injected < self.rule.times


class Faults:
    """The current fault configuration and its deterministic random source."""

    def __init__(self) -> None:
        self.set(FaultConfig())

    def set(self, config: FaultConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.states = [_RuleState(rule) for rule in config.rules]
        self.injected: dict[str, int] = {}

    def view(self) -> dict[str, Any]:
        return {**self.config.model_dump(), "injected": dict(self.injected)}

    def decide(self, method: str, template: str, path: str) -> tuple[float, str | None, _RuleState | None]:
        """(delay in seconds, fault kind or None, the rule that injects it)."""
        delay, fault, chosen = 0.0, None, None
        for state in self.states:
            rule = state.rule
            if not state.active() or rule.method not in ("*", method) or not matches(rule.path, template, path):
                continue
            if rule.latency:
                delay += rule.latency.sample(self.rng)
            if fault is not None:
                continue
            fault = self._roll(state)
            if fault is not None:
                chosen = state
                state.injected += 1
                self.injected[fault] = self.injected.get(fault, 0) + 1
        return delay, fault, chosen

    def _roll(self, state: _RuleState) -> str | None:
        rule = state.rule
        if rule.rate_limit:
            if state.burst_left > 0:
                state.burst_left -= 1
                return "rate_limit"
            state.passed += 1
            if rule.rate_limit.every and state.passed >= rule.rate_limit.every:
                state.passed, state.burst_left = 0, rule.rate_limit.burst
        if rule.hang_rate and self.rng.random() < rule.hang_rate:
            return "hang"
        if rule.error_rate and self.rng.random() < rule.error_rate:
            return "error"
        if rule.drop_after_write_rate and self.rng.random() < rule.drop_after_write_rate:
            return "drop_after_write"
        return None


class ConnectionDropped(Exception):
    """Raised where no socket can be closed (in-process ASGI): the caller sees the request fail."""


class FaultMiddleware:
    """Applies `Faults` to every request outside `/_sandbox`."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_sandbox") or not self.faults.states:
            await self.app(scope, receive, send)
            return
        template = scope.get("sandbox.template", scope["path"])
        delay, fault, state = self.faults.decide(scope["method"], template, scope["path"])
        if delay:
            await asyncio.sleep(delay)
        if fault is None or state is None:
            await self.app(scope, receive, send)
        elif fault == "rate_limit":
            retry = state.rule.rate_limit.retry_after if state.rule.rate_limit else 1.0
            await _error(send, 429, "Too Many Requests", retry)
        elif fault == "error":
            await _error(send, state.rule.error_status, "Injected fault", state.rule.retry_after)
        elif fault == "hang":
            await _hang(receive, state.rule.hang_seconds)
            await _error(send, 504, "Injected hang ended", None)
        else:
            await self._drop_after_write(scope, receive, send)

    async def _drop_after_write(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_send = scope.get("sandbox.raw_send")
        transport = getattr(getattr(raw_send, "__self__", None), "transport", None)
        if transport is None:
            await self.app(scope, receive, _discard)
            raise ConnectionDropped("connection dropped after the write (fault injection)")

        async def closing_send(message: Message) -> None:
            # Close before the first byte: uvicorn's later writes to a closed transport are ignored.
            if message["type"] == "http.response.start" and not transport.is_closing():
                transport.close()
            await send(message)

        await self.app(scope, receive, closing_send)


async def _discard(_message: Message) -> None:
    return None


async def _hang(receive: Receive, seconds: float) -> None:
    """Wait until the client gives up (disconnects) or `seconds` pass."""

    async def until_disconnect() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(until_disconnect(), seconds)


async def _error(send: Send, status: int, message: str, retry_after: float | None) -> None:
    body = jsonio.dumps({ERROR_STATUS_FIELD: "ERR", ERROR_FIELD: {"code": status, "message": message}})
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(math.ceil(retry_after)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
