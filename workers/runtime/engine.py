"""The engine: wires consumers, the key-ordered scheduler, the record handler, publisher and health.

Threads: one consumer thread per stream (each its own group, by default `<prefix><stream>`; a use
case's own stream is named after it) owns its KafkaConsumer; everything else runs on one asyncio loop.
Records cross from a consumer thread to the loop with `call_soon_threadsafe`; finished records go back
through the consumer's queue. A use case carried by several streams (its own topic and the claim
stream) has one runtime: one retry policy, one in-flight cap, one wait for its case.

Shutdown (SIGTERM): pause every partition, let in-flight work finish within `drain_seconds`, abandon
the rest (it is re-delivered to the next owner, in reconcile mode), commit what finished, close.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Hashable, Sequence
from typing import Any

from workers.runtime.awaiting import WAIT_EVENTS
from workers.runtime.breaker import CircuitBreaker, State
from workers.runtime.consumer import ConsumerThread, Inbound
from workers.runtime.dedup import RecentOutcomes
from workers.runtime.handling import RecordHandler, StreamRuntime, UseCaseRuntime
from workers.runtime.health import HealthServer
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.metrics import Metrics
from workers.runtime.polling import Poller, serve_pollers
from workers.runtime.producer import Publisher
from workers.runtime.registry import UseCase
from workers.runtime.retry import RetryPolicy
from workers.runtime.routes import Route
from workers.runtime.scheduler import InFlightLimit, KeyedScheduler
from workers.runtime.settings import WorkerSettings
from workers.runtime.watermarks import WatermarkStore

log = logging.getLogger(__name__)


def assignment_kwargs(settings: WorkerSettings, stream: str) -> dict[str, Any]:
    """Consumer kwargs for the assignment strategy and static membership."""
    from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
    from kafka.coordinator.assignors.range import RangePartitionAssignor
    from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

    strategies: dict[str, Any] = {
        "range": RangePartitionAssignor(),
        "roundrobin": RoundRobinPartitionAssignor(),
        "cooperative-sticky": CooperativeStickyAssignor(),
    }
    kwargs: dict[str, Any] = {"partition_assignment_strategy": [strategies[settings.assignment_strategy]]}
    instance = settings.instance_id(stream)
    if instance:
        kwargs["group_instance_id"] = instance
    return kwargs


class Engine:
    """Runs the given streams (and pollers) until `stop` is set, then drains."""

    def __init__(
        self,
        streams: Sequence[Route],
        *,
        worker: WorkerSettings,
        kafka: KafkaSettings,
        amili: Any = None,
        documents: Any = None,
        metrics: Metrics | None = None,
        pollers: Sequence[Poller] = (),
    ) -> None:
        if not streams and not pollers:
            raise ValueError("the engine needs at least one stream or poller")
        self.streams = list(streams)
        self.use_cases: list[UseCase] = sorted(
            {uc.name: uc for route in self.streams for uc in route.use_cases}.values(), key=lambda uc: uc.name
        )
        self.pollers = list(pollers)
        self.worker = worker
        self.kafka = kafka
        self.amili = amili
        self.documents = documents  # the claim-check DocumentFetcher handed to use cases as ctx.documents
        self.metrics = metrics or Metrics()
        self.consumers: dict[str, ConsumerThread] = {}
        self.runtimes: dict[str, UseCaseRuntime] = {}
        self.stream_runtimes: dict[str, StreamRuntime] = {}
        self.health_port = 0
        self._draining = False
        self._pollers_stop = asyncio.Event()
        self._breaker: CircuitBreaker | None = None
        self._scheduler: KeyedScheduler[Inbound] | None = None
        self._handler: RecordHandler | None = None
        self._publisher: Publisher | None = None
        self._watermarks: WatermarkStore | None = None

    # --- lifecycle --------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> int:
        """Consume until `stop` is set (or a consumer thread dies); returns a process exit code."""
        loop = asyncio.get_running_loop()
        w = self.worker
        self._breaker = CircuitBreaker(
            window=w.breaker_window,
            min_calls=w.breaker_min_calls,
            failure_ratio=w.breaker_failure_ratio,
            open_seconds=w.breaker_open_seconds,
            max_open_seconds=w.breaker_max_open_seconds,
            on_change=self._breaker_changed,
        )
        limit = InFlightLimit(w.max_in_flight)
        self._publisher = await loop.run_in_executor(
            None, lambda: Publisher(self.kafka.producer_kwargs(**w.producer_overrides))
        )
        topics = sorted({uc.publishes for uc in self.use_cases} | {r.dead_letter_topic for r in self.streams})
        topics += sorted({p.publishes for p in self.pollers})
        await loop.run_in_executor(None, self._publisher.warm_up, topics)
        self._handler = RecordHandler(
            publisher=self._publisher,
            metrics=self.metrics,
            breaker=self._breaker,
            limit=limit,
            recent=RecentOutcomes(w.dedup_cache_size),
            max_record_bytes=w.max_record_bytes,
            amili=self.amili,
            documents=self.documents,
        )
        self._scheduler = KeyedScheduler(self._run_record)
        health = HealthServer(self.metrics.registry, self.alive, self.ready)
        self.health_port = await health.start(w.health_host, w.health_port) if w.health_port else 0
        for uc in self.use_cases:
            self.runtimes[uc.name] = self._runtime(uc)
        self.metrics.precreate(
            [uc.name for uc in self.use_cases],
            [r.name for r in self.streams],
            [p.name for p in self.pollers],
            [(p.name, f) for p in self.pollers for f in p.watches],
        )
        for route in self.streams:
            self._start_consumer(route, loop)
        polling = self._start_pollers()
        names = [uc.name for uc in self.use_cases] + [p.name for p in self.pollers]
        log.info("worker started", extra={"use_cases": names, "streams": [r.name for r in self.streams]})
        exit_code = await self._wait(stop, polling)
        if polling is not None:
            self._pollers_stop.set()
            try:
                # A run in progress finishes (its watermark is saved only after its facts are acked).
                await asyncio.wait_for(polling, self.worker.drain_seconds)
            except TimeoutError:
                log.warning("pollers did not finish within the drain budget; their next run repeats this one")
            except Exception:
                log.exception("pollers failed")
        if self._watermarks is not None:
            await loop.run_in_executor(None, self._watermarks.close)
        await self._shutdown()
        await health.close()
        return exit_code

    def _start_pollers(self) -> asyncio.Task[Any] | None:
        """Pollers share the publisher and the Amili client; each saves its watermark in Kafka."""
        if not self.pollers:
            return None
        assert self._publisher is not None
        # One store for the process: it keeps its Kafka clients, so an idle poller opens no connection.
        self._watermarks = WatermarkStore(self.kafka)
        return asyncio.get_running_loop().create_task(
            serve_pollers(
                self.pollers,
                amili=self.amili,
                publisher=self._publisher,
                watermarks=self._watermarks,
                stop=self._pollers_stop,
                every_seconds=self.worker.poll_interval_seconds,
                on_run=self.metrics.observe_poll,
                on_unknown=self.metrics.unknown_value,
                on_publish_failure=self.metrics.publish_failed,
            )
        )

    def _runtime(self, uc: UseCase) -> UseCaseRuntime:
        """A use case's policy, cap and wait: its own options, else the worker's defaults."""
        w = self.worker
        policy = RetryPolicy(
            max_attempts=uc.options.max_attempts or w.max_attempts,
            budget_seconds=uc.options.retry_seconds or w.retry_seconds,
            initial_seconds=w.retry_initial_seconds,
            max_seconds=w.retry_max_seconds,
        )
        concurrency = min(uc.options.concurrency or w.max_in_flight, w.max_in_flight)
        await_case = w.await_case_seconds if uc.options.await_case_seconds is None else uc.options.await_case_seconds
        # Every label exists from the start, so a dashboard shows 0 rather than nothing.
        for event in WAIT_EVENTS:
            self.metrics.case_waits.labels(uc.name, event)
        self.metrics.awaiting_case.labels(uc.name).set(0)
        return UseCaseRuntime(uc, policy, InFlightLimit(concurrency), await_case)

    def _start_consumer(self, route: Route, loop: asyncio.AbstractEventLoop) -> None:
        w = self.worker
        consumer_kwargs = self.kafka.consumer_kwargs(
            route.group, **assignment_kwargs(w, route.name), **w.consumer_overrides
        )
        consumer = ConsumerThread(
            stream=route.name,
            topics=route.topics,
            consumer_kwargs=consumer_kwargs,
            engine=self,
            loop=loop,
            metrics=self.metrics,
            partition_buffer=w.partition_buffer,
            poll_timeout_ms=w.poll_timeout_ms,
            commit_interval=w.commit_interval_seconds,
            revoke_budget=w.revoke_seconds,
            hold=self._hold,
            broker_outage_seconds=w.broker_outage_seconds,
        )

        def finish(record: Inbound) -> None:
            consumer.finish(record.topic, record.partition, record.epoch, record.offset)

        by_type = {t: self.runtimes[uc.name] for t, uc in route.handlers.items()}
        self.stream_runtimes[route.name] = StreamRuntime(route, by_type, finish)
        self.consumers[route.name] = consumer
        consumer.start()

    async def _wait(self, stop: asyncio.Event, polling: asyncio.Task[Any] | None) -> int:
        while not stop.is_set():
            if polling is not None and polling.done():
                log.error("pollers stopped; shutting down")
                return 1
            dead = [name for name, c in self.consumers.items() if not c.is_alive()]
            if dead:
                log.error("consumer thread stopped; shutting down", extra={"use_cases": dead})
                return 1
            self._report()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)
        return 0

    async def _shutdown(self) -> None:
        assert self._scheduler is not None
        assert self._publisher is not None
        loop = asyncio.get_running_loop()
        self._draining = True  # consumers pause every partition at their next poll
        started = time.monotonic()
        drained = await self._scheduler.wait_idle(self.worker.drain_seconds)
        if not drained:
            dropped = self._scheduler.cancel(lambda _key: True)
            log.warning("drain budget spent; %d records left for the next owner", dropped)
            await asyncio.sleep(0)
        log.info("drained in %.1fs", time.monotonic() - started)
        for consumer in self.consumers.values():
            consumer.stop()
        for consumer in self.consumers.values():
            await loop.run_in_executor(None, consumer.join, 15.0)
        publisher = self._publisher
        await loop.run_in_executor(None, publisher.close, 5.0)

    # --- called by the consumer threads (on the loop) ------------------------------------------------

    def submit(self, records: list[Inbound]) -> None:
        assert self._scheduler is not None
        for record in records:
            self._scheduler.submit(record.chain_key, record)

    async def release(self, stream: str, partitions: set[tuple[str, int]], budget: float) -> None:
        """Finish the revoked partitions' work within `budget` seconds; abandon what is left."""
        assert self._scheduler is not None

        def revoked(key: Hashable) -> bool:
            return isinstance(key, tuple) and (key[0], key[1]) in partitions

        if not await self._scheduler.wait_drained(revoked, budget):
            dropped = self._scheduler.cancel(revoked)
            log.warning("revoke budget spent; %d records abandoned", dropped, extra={"use_case": stream})

    async def _run_record(self, record: Inbound) -> None:
        assert self._handler is not None
        await self._handler.handle(self.stream_runtimes[record.stream], record)

    # --- state, health, metrics ---------------------------------------------------------------------

    def _hold(self) -> bool:
        return self._draining or (self._breaker is not None and self._breaker.is_open)

    def _breaker_changed(self, state: State) -> None:
        self.metrics.circuit_state.set(state.value)
        log.warning("circuit breaker %s", state.name.lower().replace("_", "-"))

    def _report(self) -> None:
        if self._scheduler is None:
            return
        for name in self.consumers:
            topics = frozenset(self.stream_runtimes[name].route.topics)
            self.metrics.pending.labels(name).set(self._scheduler.pending_where(functools.partial(_on_topics, topics)))

    def alive(self) -> tuple[bool, str]:
        now = time.monotonic()
        for name, consumer in self.consumers.items():
            if not consumer.is_alive():
                return False, f"{name}: consumer thread stopped"
            if now - consumer.last_poll > self.worker.poll_stale_seconds:
                return False, f"{name}: no poll for {now - consumer.last_poll:.0f}s"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        """Ready means "can take work", not "has work": see `unready_reasons` and `ready_notes`."""
        reasons = self.unready_reasons()
        if reasons:
            return False, "; ".join(reasons)
        return True, "; ".join(["ok", *self.ready_notes()])

    def unready_reasons(self) -> list[str]:
        """Why this process cannot take work now (empty: it can). Each check adds its reason here.

        A member with no partition (more replicas than partitions, a surge pod during a rollout) can take work
        the moment a rebalance hands it some, so it is ready: otherwise a rollout at replicas == partitions
        never finishes. An open circuit (Amili unreachable) is not a reason either: the process is fine, a new
        pod would face the same Amili, and a not-ready fleet would only stall rollouts and node drains; it is
        reported in the ready detail, the circuit metric and its alert instead.
        """
        reasons: list[str] = []
        ok, detail = self.alive()
        if not ok:
            reasons.append(detail)
        if self._draining:
            reasons.append("draining")
        if self._handler is not None:
            # A partition whose next record the broker refuses to finish: this member cannot take its work.
            reasons.extend(self._handler.stuck.reasons())
        return reasons

    def ready_notes(self) -> list[str]:
        """What a ready process reports besides "ok": idle streams, an open circuit."""
        notes: list[str] = []
        idle = [name for name, c in self.consumers.items() if c.assigned == 0]
        if idle:
            notes.append(f"idle, no partition assigned: {', '.join(idle)}")
        if self._breaker is not None and self._breaker.is_open:
            notes.append("circuit open: Amili unreachable, partitions paused")
        return notes


def _on_topics(topics: frozenset[str], key: Hashable) -> bool:
    return isinstance(key, tuple) and key[0] in topics
