"""Pollers: bring Amili's side back to Kafka on a schedule, with a watermark that survives restarts.

    @poller("export_closed_cases", publishes=POLLERS["export_closed_cases"].topic, every_seconds=300)
    async def export_closed_cases(ctx: PollContext) -> AsyncIterator[Fact]:
        async for case in ctx.amili.iter_cases(where=...):
            yield ctx.fact(CLOSED_TYPE, CaseClosed(...), natural_id=case.id)
        ctx.next_watermark = {...}

A run publishes every fact and waits for the broker's acknowledgements before it saves the new
watermark, so a crash re-publishes rather than skips. A value Amili sends that the fleet does not know
is never a reason to skip a document: the poller publishes it (as sent, or as `other` with the raw
value) and calls `ctx.known(field, value, known)`, which logs a warning and counts it by field name
(`amili_fleet_unknown_values_total{use_case, field}`; the fields a poller watches are declared with
`watches=` so their series exist at 0 from the start). Fact ids are derived from the fact's natural id,
so a re-run publishes the same fact under the same id, never under a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from schemas.codec import encode_event, event_headers
from schemas.envelope import CloudEvent, new_event
from workers.runtime.producer import Publisher
from workers.runtime.registry import UseCaseError
from workers.runtime.watermarks import WatermarkStore

log = logging.getLogger(__name__)

#: Namespace of fact ids: uuid5(namespace, "<fact type>/<natural id>").
FACT_NAMESPACE = uuid.UUID("6f1c2a57-3f0e-4d55-9a51-0c7f1b5e2d11")
#: Facts awaiting their broker acknowledgement at once (bounded memory on a large export).
MAX_UNACKED_FACTS = 500


@dataclass(frozen=True)
class Fact:
    """One record a poller publishes: its aggregate key and its CloudEvent."""

    key: str
    event: CloudEvent


@dataclass
class PollContext:
    """What a poller gets: the Amili client, the last saved watermark, and where to put the next one."""

    poller: str
    amili: Any
    watermark: dict[str, Any] | None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Set by the poller when the run got through; saved after every fact is acknowledged.
    next_watermark: dict[str, Any] | None = None
    #: Called with (poller, field) for every unknown value (the runtime counts it).
    on_unknown: Callable[[str, str], None] | None = None

    def known(self, field_name: str, value: str | None, known: Collection[str]) -> bool:
        """Whether `value` is one the fleet knows (None counts as known); an unknown one is logged and counted."""
        if value is None or value in known:
            return True
        # The value itself is Amili's enum-like word (no personal data), cut short for the log line.
        log.warning(
            "Amili sent an unknown %s, published and counted: %s", field_name, value[:50], extra={"poller": self.poller}
        )
        if self.on_unknown is not None:
            self.on_unknown(self.poller, field_name)
        return False

    def fact(self, event_type: str, data: BaseModel, natural_id: str) -> Fact:
        """A fact with a deterministic id (same natural id, same fact id, on every run)."""
        event = new_event(
            event_type,
            data,
            source=f"urn:amili-fleet:poller:{self.poller}",
            subject=natural_id,
            id=str(uuid.uuid5(FACT_NAMESPACE, f"{event_type}/{natural_id}")),
        )
        return Fact(key=data.aggregate_key(), event=event)  # type: ignore[attr-defined]


PollFunction = Callable[[PollContext], AsyncIterator[Fact]]


@dataclass(frozen=True)
class Poller:
    name: str
    publishes: str
    function: PollFunction
    every_seconds: float
    #: Fields whose unknown values the poller counts (`PollContext.known`).
    watches: tuple[str, ...] = ()


_POLLERS: dict[str, Poller] = {}


def poller(
    name: str, *, publishes: str, every_seconds: float = 300.0, watches: tuple[str, ...] = ()
) -> Callable[[PollFunction], PollFunction]:
    """Register an async-generator function as poller `name`."""
    if every_seconds <= 0:
        raise UseCaseError(f"poller {name!r}: every_seconds must be positive")

    def register(function: PollFunction) -> PollFunction:
        existing = _POLLERS.get(name)
        if existing is not None and existing.function.__qualname__ != function.__qualname__:
            raise UseCaseError(f"poller {name!r} is declared twice")
        _POLLERS[name] = Poller(name, publishes, function, every_seconds, watches)
        return function

    return register


def registered_pollers() -> dict[str, Poller]:
    return dict(_POLLERS)


@dataclass
class PollStats:
    runs: int = 0
    failures: int = 0
    facts: int = 0
    last_success: float | None = None


class PollerRunner:
    """Runs one poller on its schedule until `stop` is set."""

    def __init__(
        self,
        spec: Poller,
        *,
        amili: Any,
        publisher: Publisher,
        watermarks: WatermarkStore,
        every_seconds: float | None = None,
        on_run: Callable[[str, str, int, float], None] | None = None,
        on_unknown: Callable[[str, str], None] | None = None,
        on_publish_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.spec = spec
        self.on_unknown = on_unknown
        self.on_publish_failure = on_publish_failure
        self.amili = amili
        self.publisher = publisher
        self.watermarks = watermarks
        self.every_seconds = every_seconds or spec.every_seconds
        self.on_run = on_run
        self.stats = PollStats()

    async def run_once(self) -> int:
        """One run: publish every fact, wait for the acknowledgements, then save the watermark."""
        watermark = await asyncio.to_thread(self.watermarks.load, self.spec.name)
        ctx = PollContext(self.spec.name, self.amili, watermark, on_unknown=self.on_unknown)
        pending: list[asyncio.Future[None]] = []
        published = 0
        async for fact in self.spec.function(ctx):
            sent = self.publisher.send(
                self.spec.publishes, fact.key.encode(), encode_event(fact.event), event_headers(fact.event)
            )
            sent.add_done_callback(self._count_failure)
            pending.append(sent)
            if len(pending) >= MAX_UNACKED_FACTS:
                await asyncio.gather(*pending)
                published += len(pending)
                pending.clear()
        await asyncio.gather(*pending)
        published += len(pending)
        if ctx.next_watermark is not None:
            await asyncio.to_thread(self.watermarks.save, self.spec.name, ctx.next_watermark)
        return published

    async def run_forever(self, stop: asyncio.Event) -> None:
        delay = self.every_seconds
        while not stop.is_set():
            started = time.monotonic()
            self.stats.runs += 1
            try:
                count = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # A failed run saves no watermark: the next run starts from the same place.
                self.stats.failures += 1
                delay = min(delay * 2, self.every_seconds * 8)
                log.warning(
                    "poller run failed; retrying in %.0fs",
                    delay,
                    extra={"poller": self.spec.name, "error_class": type(exc).__name__},
                )
                self._report("failed", 0, time.monotonic() - started)
            else:
                self.stats.facts += count
                self.stats.last_success = time.time()
                delay = self.every_seconds
                self._report("succeeded", count, time.monotonic() - started)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    def _count_failure(self, sent: asyncio.Future[None]) -> None:
        """A fact the broker did not acknowledge counts as a publish failure (the run then fails and repeats)."""
        failure = None if sent.cancelled() else sent.exception()
        if failure is not None and self.on_publish_failure is not None:
            self.on_publish_failure(failure)

    def _report(self, result: str, facts: int, seconds: float) -> None:
        if self.on_run is not None:
            self.on_run(self.spec.name, result, facts, seconds)


async def serve_pollers(
    pollers: list[Poller],
    *,
    amili: Any,
    publisher: Publisher,
    watermarks: WatermarkStore,
    stop: asyncio.Event,
    every_seconds: float | None = None,
    on_run: Callable[[str, str, int, float], None] | None = None,
    on_unknown: Callable[[str, str], None] | None = None,
    on_publish_failure: Callable[[BaseException], None] | None = None,
) -> list[PollerRunner]:
    """Run the pollers side by side until `stop` is set; returns their runners (with stats)."""
    await asyncio.to_thread(watermarks.ensure_topic)
    runners = [
        PollerRunner(
            spec,
            amili=amili,
            publisher=publisher,
            watermarks=watermarks,
            every_seconds=every_seconds,
            on_run=on_run,
            on_unknown=on_unknown,
            on_publish_failure=on_publish_failure,
        )
        for spec in pollers
    ]
    await asyncio.gather(*(runner.run_forever(stop) for runner in runners))
    return runners
