"""An in-memory stage for the record handler: a publisher that keeps what is sent, one stream, fake use cases."""

from __future__ import annotations

from typing import Any, cast

import orjson

from tests.fixtures.runtime import EVENT_TYPE, event
from workers.runtime.breaker import CircuitBreaker
from workers.runtime.consumer import Inbound
from workers.runtime.context import Context, Succeeded
from workers.runtime.dedup import RecentOutcomes
from workers.runtime.handling import RecordHandler, StreamRuntime, UseCaseRuntime
from workers.runtime.metrics import Metrics
from workers.runtime.registry import UseCase, UseCaseOptions
from workers.runtime.retry import RetryPolicy
from workers.runtime.routes import Route
from workers.runtime.scheduler import InFlightLimit


class MemoryPublisher:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []

    async def publish(self, topic: str, key: Any, value: Any, headers: Any, *, on_failure: Any = None) -> None:
        self.sent.append((topic, key, value, list(headers)))

    def on(self, topic: str) -> list[Any]:
        return [s for s in self.sent if s[0] == topic]


def inbound(value: bytes | None = None, key: bytes | None = None, headers: Any = (), window: bool = False) -> Inbound:
    default_key, default_value, _ = event(1, 0, event_id="evt-1")
    return Inbound(
        stream="mixed",
        topic="in",
        partition=0,
        offset=7,
        epoch=1,
        key=key if key is not None else default_key,
        value=value if value is not None else default_value,
        headers=list(headers),
        timestamp_ms=1_700_000_000_000,
        in_reconcile_window=window,
    )


class Harness:
    """Stream "mixed" on topic "in": use case "apply" takes case-status requests, `others` their types; outcomes
    go to "out"."""

    def __init__(
        self,
        handler_fn: Any,
        *,
        max_attempts: int = 3,
        retry_seconds: float = 60,
        backoff_seconds: float = 0.001,
        reconcile: str = "window",
        await_case_seconds: float = 0.0,
        others: dict[str, str] | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.publisher = MemoryPublisher()
        self.metrics = Metrics()
        self.finished: list[Inbound] = []
        self.contexts: list[Context] = []
        self.breaker = breaker or CircuitBreaker(window=100, min_calls=100)

        async def handler(data: Any, ctx: Context) -> Succeeded:
            self.contexts.append(ctx)
            result: Succeeded = await handler_fn(data, ctx)
            return result

        options = UseCaseOptions(reconcile=reconcile, client="none")
        policy = RetryPolicy(
            max_attempts=max_attempts,
            budget_seconds=retry_seconds,
            initial_seconds=backoff_seconds,
            max_seconds=backoff_seconds * 2,
        )
        runtimes = {
            EVENT_TYPE: UseCaseRuntime(
                UseCase("apply", "in", handler, None, "out", options), policy, InFlightLimit(4), await_case_seconds
            )
        }
        # Further use cases on the same stream: event type -> name; each records the contexts it gets.
        for event_type, name in (others or {}).items():
            uc = UseCase(name, "in", handler, None, "out", options)
            runtimes[event_type] = UseCaseRuntime(uc, policy, InFlightLimit(4))
        route = Route("mixed", ("in",), {t: rt.use_case for t, rt in runtimes.items()}, "group", "in.dlq")
        self.stream = StreamRuntime(route, runtimes, self.finished.append)
        self.handler = RecordHandler(
            publisher=cast(Any, self.publisher),
            metrics=self.metrics,
            breaker=self.breaker,
            limit=InFlightLimit(4),
            recent=RecentOutcomes(10),
            max_record_bytes=10_000,
        )

    async def handle(self, record: Inbound) -> None:
        await self.handler.handle(self.stream, record)

    def statuses(self) -> list[str]:
        return [orjson.loads(value)["data"]["status"] for _, _, value, _ in self.publisher.on("out")]

    def outcomes(self) -> list[dict[str, Any]]:
        return [orjson.loads(value)["data"] for _, _, value, _ in self.publisher.on("out")]

    def count(self, metric: Any, *labels: str) -> float:
        return float(metric.labels(*labels)._value.get())
