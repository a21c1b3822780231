"""The engine: wires consumers, the key-ordered scheduler, the record handler, publisher and health.

Threads: one consumer thread per use case (each its own group, `<prefix><use case>`) owns its
KafkaConsumer; everything else runs on one asyncio loop. Records cross from a consumer thread to the
loop with `call_soon_threadsafe`; finished records go back through the consumer's queue.

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

from workers.runtime.breaker import CircuitBreaker, State
from workers.runtime.consumer import ConsumerThread, Inbound
from workers.runtime.dedup import RecentOutcomes
from workers.runtime.handling import RecordHandler, UseCaseRuntime
from workers.runtime.health import HealthServer
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.metrics import Metrics
from workers.runtime.polling import Poller, serve_pollers
from workers.runtime.producer import Publisher
from workers.runtime.registry import UseCase
from workers.runtime.retry import RetryPolicy
from workers.runtime.scheduler import InFlightLimit, KeyedScheduler
from workers.runtime.settings import WorkerSettings
from workers.runtime.watermarks import WatermarkStore

log = logging.getLogger(__name__)


def assignment_kwargs(settings: WorkerSettings, use_case: str) -> dict[str, Any]:
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
    instance = settings.instance_id(use_case)
    if instance:
        kwargs["group_instance_id"] = instance
    return kwargs


class Engine:
    """Runs the given use cases until `stop` is set, then drains."""

    def __init__(
        self,
        use_cases: Sequence[UseCase],
        *,
        worker: WorkerSettings,
        kafka: KafkaSettings,
        amili: Any = None,
        documents: Any = None,
        metrics: Metrics | None = None,
        pollers: Sequence[Poller] = (),
    ) -> None:
        if not use_cases and not pollers:
            raise ValueError("the engine needs at least one use case or poller")
        self.use_cases = list(use_cases)
        self.pollers = list(pollers)
        self.worker = worker
        self.kafka = kafka
        self.amili = amili
        self.documents = documents  # the claim-check DocumentFetcher handed to use cases as ctx.documents
        self.metrics = metrics or Metrics()
        self.consumers: dict[str, ConsumerThread] = {}
        self.runtimes: dict[str, UseCaseRuntime] = {}
        self.health_port = 0
        self._draining = False
        self._pollers_stop = asyncio.Event()
        self._breaker: CircuitBreaker | None = None
        self._scheduler: KeyedScheduler[Inbound] | None = None
        self._handler: RecordHandler | None = None
        self._publisher: Publisher | None = None

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
        topics = sorted({t for uc in self.use_cases for t in (uc.publishes, uc.dead_letter_topic)})
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
            self._start_consumer(uc, loop)
        polling = self._start_pollers()
        names = [uc.name for uc in self.use_cases] + [p.name for p in self.pollers]
        log.info("worker started", extra={"use_cases": names})
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
        await self._shutdown()
        await health.close()
        return exit_code

    def _start_pollers(self) -> asyncio.Task[Any] | None:
        """Pollers share the publisher and the Amili client; each saves its watermark in Kafka."""
        if not self.pollers:
            return None
        assert self._publisher is not None
        return asyncio.get_running_loop().create_task(
            serve_pollers(
                self.pollers,
                amili=self.amili,
                publisher=self._publisher,
                watermarks=WatermarkStore(self.kafka),
                stop=self._pollers_stop,
                every_seconds=self.worker.poll_interval_seconds,
                on_run=self.metrics.observe_poll,
            )
        )

    def _start_consumer(self, uc: UseCase, loop: asyncio.AbstractEventLoop) -> None:
        w = self.worker
        group = w.group_id(uc.name)
        consumer_kwargs = self.kafka.consumer_kwargs(group, **assignment_kwargs(w, uc.name), **w.consumer_overrides)
        consumer = ConsumerThread(
            use_case=uc.name,
            topic=uc.consumes,
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
        policy = RetryPolicy(
            max_attempts=uc.options.max_attempts or w.max_attempts,
            budget_seconds=uc.options.retry_seconds or w.retry_seconds,
            initial_seconds=w.retry_initial_seconds,
            max_seconds=w.retry_max_seconds,
        )
        concurrency = min(uc.options.concurrency or w.max_in_flight, w.max_in_flight)

        def finish(record: Inbound) -> None:
            consumer.finish(record.topic, record.partition, record.epoch, record.offset)

        self.runtimes[uc.name] = UseCaseRuntime(uc, group, policy, InFlightLimit(concurrency), finish)
        self.consumers[uc.name] = consumer
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

    async def release(self, use_case: str, partitions: set[tuple[str, int]], budget: float) -> None:
        """Finish the revoked partitions' work within `budget` seconds; abandon what is left."""
        assert self._scheduler is not None

        def revoked(key: Hashable) -> bool:
            return isinstance(key, tuple) and (key[0], key[1]) in partitions

        if not await self._scheduler.wait_drained(revoked, budget):
            dropped = self._scheduler.cancel(revoked)
            log.warning("revoke budget spent; %d records abandoned", dropped, extra={"use_case": use_case})

    async def _run_record(self, record: Inbound) -> None:
        assert self._handler is not None
        await self._handler.handle(self.runtimes[record.use_case], record)

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
            topic = self.runtimes[name].use_case.consumes
            self.metrics.pending.labels(name).set(self._scheduler.pending_where(functools.partial(_on_topic, topic)))

    def alive(self) -> tuple[bool, str]:
        now = time.monotonic()
        for name, consumer in self.consumers.items():
            if not consumer.is_alive():
                return False, f"{name}: consumer thread stopped"
            if now - consumer.last_poll > self.worker.poll_stale_seconds:
                return False, f"{name}: no poll for {now - consumer.last_poll:.0f}s"
        return True, "ok"

    def ready(self) -> tuple[bool, str]:
        ok, detail = self.alive()
        if not ok:
            return ok, detail
        if self._draining:
            return False, "draining"
        if self._breaker is not None and self._breaker.is_open:
            return False, "Amili unreachable (circuit open)"
        unassigned = [name for name, c in self.consumers.items() if c.assigned == 0]
        if unassigned:
            return False, f"no partitions assigned: {', '.join(unassigned)}"
        return True, "ok"


def _on_topic(topic: str, key: Hashable) -> bool:
    return isinstance(key, tuple) and key[0] == topic
