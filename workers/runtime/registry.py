"""The use-case registry: one decorator declares what a use case consumes, publishes and how it runs.

    @use_case("register_invoice", consumes=INVOICE_ISSUED_TOPIC, event=InvoiceIssued,
              reconcile="always", max_attempts=8, retry_seconds=900, concurrency=64)
    async def register_invoice(event: InvoiceIssued, ctx: Context) -> Succeeded: ...

Options are validated when the module is imported (that is, at start-up): an unknown option or a bad
value raises `UseCaseError` naming it. Use cases are discovered by importing every module of the
`workers.use_cases` package plus `WORKER_USE_CASE_MODULES`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.catalog import OUTCOMES_TOPIC
from workers.runtime.context import Context, Succeeded

Handler = Callable[[Any, Context], Awaitable[Succeeded]]


class UseCaseError(ValueError):
    """A use case is declared wrongly (unknown option, bad value, duplicate name, unknown name)."""


class UseCaseOptions(BaseModel):
    """How a use case runs; None means "the worker's default" (WORKER_*)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: concurrent records of this use case (below the worker-wide WORKER_MAX_IN_FLIGHT)
    concurrency: int | None = Field(default=None, ge=1)
    max_attempts: int | None = Field(default=None, ge=1)
    retry_seconds: float | None = Field(default=None, gt=0)
    #: how long a follow-up whose case Amili does not hold yet keeps looking (0: reject at once)
    await_case_seconds: float | None = Field(default=None, ge=0)
    #: "always": every attempt looks the natural key up before writing (registrations);
    #: "window": only records that may have landed (reconcile window, earlier attempt that may have landed)
    reconcile: Literal["always", "window"] = "window"
    #: where the dead letters of the use case's own stream go (default: the consumed topic + ".dlq")
    dead_letter_topic: str | None = Field(default=None, min_length=1)
    #: which Amili API client the use case needs
    client: Literal["creditor", "partner", "none"] = "creditor"


@dataclass(frozen=True)
class UseCase:
    """A registered use case."""

    name: str
    consumes: str
    handler: Handler
    event: type[Any] | None
    publishes: str
    options: UseCaseOptions

    @property
    def dead_letter_topic(self) -> str:
        return self.options.dead_letter_topic or f"{self.consumes}.dlq"


_REGISTRY: dict[str, UseCase] = {}


def use_case(
    name: str,
    *,
    consumes: str,
    event: type[Any] | None = None,
    publishes: str = OUTCOMES_TOPIC,
    **options: Any,
) -> Callable[[Handler], Handler]:
    """Register the decorated coroutine function as use case `name` (see the module docstring)."""
    try:
        parsed = UseCaseOptions(**options)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise UseCaseError(f"use case {name!r}: {problems}") from None
    if not consumes:
        raise UseCaseError(f"use case {name!r}: consumes must name a topic")

    def register(handler: Handler) -> Handler:
        existing = _REGISTRY.get(name)
        # Re-importing the same module is harmless; two functions under one name are not.
        if existing is not None and _where(existing.handler) != _where(handler):
            raise UseCaseError(f"use case {name!r} is declared twice")
        _REGISTRY[name] = UseCase(name, consumes, handler, event, publishes, parsed)
        return handler

    return register


def _where(handler: Handler) -> tuple[str, str]:
    return handler.__module__, handler.__qualname__


def discover(extra_modules: Iterable[str] = (), package: str = "workers.use_cases") -> dict[str, UseCase]:
    """Import every module of `package` and the extra modules; return the registry."""
    root = importlib.import_module(package)
    for info in pkgutil.iter_modules(getattr(root, "__path__", []), prefix=f"{package}."):
        importlib.import_module(info.name)
    for module in extra_modules:
        importlib.import_module(module)
    return dict(_REGISTRY)


def registered() -> dict[str, UseCase]:
    return dict(_REGISTRY)


def select(names: Iterable[str], *, all_: bool = False) -> list[UseCase]:
    """The use cases to run; an unknown name is an error that lists the known ones."""
    if all_:
        return [_REGISTRY[n] for n in sorted(_REGISTRY)]
    chosen = []
    for name in names:
        if name not in _REGISTRY:
            known = ", ".join(sorted(_REGISTRY)) or "none"
            raise UseCaseError(f"unknown use case {name!r} (known: {known})")
        chosen.append(_REGISTRY[name])
    if not chosen:
        raise UseCaseError("name at least one use case, or pass --all")
    return chosen
