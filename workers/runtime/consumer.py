"""The consumer thread: the only code touching a KafkaConsumer (which is not thread-safe).

It polls (so membership holds however slow Amili is), hands records to the engine's asyncio loop,
learns which records finished through a queue, commits per partition up to the lowest unfinished
offset, pauses a partition whose buffer is full (resumes it at half) or every partition while the
circuit breaker is open, and reports lag as highwater minus the lowest unfinished offset (the commit
point): records fetched and handed out but not finished still count, so a stuck record shows as lag.

Rebalances: kafka-python runs the listener on its IO thread while this thread is blocked inside
poll() or close(), so the listener may use the offset tracker. Revocation asks the engine to finish
the revoked partitions' work within the revoke budget (abandoning the rest), then commits what finished.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from concurrent.futures import Future as ThreadFuture
from dataclasses import dataclass
from typing import Any, Protocol

from kafka import AsyncConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from workers.runtime.metrics import Metrics
from workers.runtime.offsets import OffsetTracker

log = logging.getLogger(__name__)

#: Take everything kafka-python has fetched on each poll. kafka-python 3.0.12 parks the records of a
#: partition paused while they sit half-consumed in its in-line slot, and restores them only when that
#: slot `is None` (fetcher.py), which it never is again: the partition then stalls for good. Draining
#: every poll keeps the slot empty; memory stays bounded by our own hold-back buffer, which pauses
#: the partition (at most one fetch, max_partition_fetch_bytes, per partition is ever held).
_DRAIN_ALL = 1_000_000


@dataclass(frozen=True, slots=True)
class Inbound:
    """One record handed to the engine, with what the runtime knows about it."""

    stream: str
    topic: str
    partition: int
    offset: int
    epoch: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]
    timestamp_ms: int
    in_reconcile_window: bool

    @property
    def chain_key(self) -> Hashable:
        return (self.topic, self.partition, self.key)


class EngineSide(Protocol):
    """What the consumer thread needs from the engine (called on the engine's loop)."""

    def submit(self, records: list[Inbound]) -> None: ...

    async def release(self, stream: str, partitions: set[tuple[str, int]], budget: float) -> None: ...


class ConsumerThread(threading.Thread):
    """Owns one KafkaConsumer for one stream (its topics, one group); metrics carry the stream's name."""

    def __init__(
        self,
        *,
        stream: str,
        topics: Sequence[str],
        consumer_kwargs: dict[str, Any],
        engine: EngineSide,
        loop: asyncio.AbstractEventLoop,
        metrics: Metrics,
        partition_buffer: int,
        poll_timeout_ms: int,
        commit_interval: float,
        revoke_budget: float,
        hold: Callable[[], bool] = lambda: False,
        broker_outage_seconds: float = 300.0,
    ) -> None:
        super().__init__(name=f"consumer-{stream}", daemon=True)
        self.stream = stream
        self.topics = list(topics)
        self.engine = engine
        self.loop = loop
        self.metrics = metrics
        self.cap = partition_buffer
        self.poll_timeout_ms = poll_timeout_ms
        self.commit_interval = commit_interval
        self.revoke_budget = revoke_budget
        self.hold = hold
        self.broker_outage_seconds = broker_outage_seconds
        self.tracker = OffsetTracker(window=partition_buffer)
        self.finished: queue.SimpleQueue[tuple[Hashable, int, int]] = queue.SimpleQueue()
        self.last_poll = time.monotonic()
        self.failure: BaseException | None = None
        self._stopping = threading.Event()
        self._resume_at: dict[TopicPartition, int] = {}
        #: records polled but not yet handed out because their partition's buffer was full
        self._held: dict[TopicPartition, deque[Any]] = {}
        self._consumer = KafkaConsumer(**consumer_kwargs)
        self._consumer.subscribe(self.topics, listener=_Listener(self))

    # --- called from other threads ------------------------------------------------------------------

    def finish(self, topic: str, partition: int, epoch: int, offset: int) -> None:
        """The engine finished a record (its outcome or dead letter is acknowledged)."""
        self.finished.put((TopicPartition(topic, partition), epoch, offset))

    def stop(self) -> None:
        self._stopping.set()

    @property
    def assigned(self) -> int:
        return sum(1 for _ in self.tracker)

    # --- the thread -------------------------------------------------------------------------------

    def run(self) -> None:
        last_commit = last_lag = time.monotonic()
        failing_since: float | None = None
        try:
            while not self._stopping.is_set():
                self._drain_finished()
                self._flow_control()
                try:
                    batch = self._consumer.poll(timeout_ms=self.poll_timeout_ms, max_records=_DRAIN_ALL)
                except KafkaError as exc:
                    # The broker is away (a cut, a restart): keep trying, membership is re-established
                    # by kafka-python; give up only after a long outage so Kubernetes restarts us.
                    failing_since = failing_since or time.monotonic()
                    if time.monotonic() - failing_since > self.broker_outage_seconds:
                        raise
                    log.warning("poll failed: %s", type(exc).__name__, extra={"use_case": self.stream})
                    time.sleep(0.5)
                    continue
                failing_since = None
                self.last_poll = time.monotonic()
                if batch or self._held:
                    self._dispatch(batch)
                if self.last_poll - last_commit >= self.commit_interval:
                    self._drain_finished()
                    self._commit()
                    last_commit = self.last_poll
                if self.last_poll - last_lag >= 1.0:
                    self._report_lag()
                    last_lag = self.last_poll
        except BaseException as exc:
            self.failure = exc
            log.exception("consumer thread failed", extra={"use_case": self.stream})
        finally:
            self._close()

    def _dispatch(self, batch: dict[TopicPartition, list[Any]]) -> None:
        """Hand records to the engine while their partition has room; hold the rest back.

        A poll may return far more records of one partition than the buffer cap. Records held here
        were never handed out, so they cannot have reached Amili: the reconcile window after an
        assignment stays exactly the cap.
        """
        for tp, items in batch.items():
            self._held.setdefault(tp, deque()).extend(items)
        records: list[Inbound] = []
        for tp, held in list(self._held.items()):
            state = self.tracker.get(tp)
            if state is None:  # defensive: kafka-python assigns before it fetches
                self.tracker.assign(tp)
                state = self.tracker.get(tp)
                assert state is not None
            while held and state.buffered < self.cap:
                record = held.popleft()
                state.dispatch(record.offset)
                records.append(
                    Inbound(
                        stream=self.stream,
                        topic=tp.topic,
                        partition=tp.partition,
                        offset=record.offset,
                        epoch=state.epoch,
                        key=record.key,
                        value=record.value,
                        headers=[(k, v) for k, v in (record.headers or [])],
                        timestamp_ms=record.timestamp,
                        in_reconcile_window=state.in_reconcile_window(record.offset),
                    )
                )
            if not held:
                del self._held[tp]
        if records:
            self.metrics.events_received.labels(self.stream).inc(len(records))
            self.loop.call_soon_threadsafe(self.engine.submit, records)

    def _drain_finished(self) -> None:
        while True:
            try:
                tp, epoch, offset = self.finished.get_nowait()
            except queue.Empty:
                return
            self.tracker.finish(tp, epoch, offset)

    def _flow_control(self) -> None:
        """Pause full partitions (resume at half), and everything while the breaker is open."""
        # Ask kafka-python, not our memory: it keeps the paused flag of a partition that a rebalance
        # revoked and handed straight back.
        paused = set(self._consumer.paused())
        hold = self.hold() or self._stopping.is_set()
        want: set[TopicPartition] = set()
        for tp, state in self.tracker:
            assert isinstance(tp, TopicPartition)
            full = tp in self._held or state.buffered >= self.cap or (tp in paused and state.buffered > self.cap // 2)
            if hold or full:
                want.add(tp)
        if want - paused:
            self._consumer.pause(*(want - paused))
        if paused - want:
            self._consumer.resume(*(paused - want))
        self.metrics.paused_partitions.labels(self.stream).set(len(want))

    def _commit(self, partitions: set[Hashable] | None = None) -> None:
        offsets = self.tracker.to_commit(partitions)
        if not offsets:
            return
        try:
            self._consumer.commit(offsets=_kafka_offsets(offsets), timeout_ms=5000)
        except Exception as exc:  # a rebalance or broker outage; the next commit carries the same points
            self.metrics.commits.labels(self.stream, "failed").inc()
            log.warning("offset commit failed: %s", type(exc).__name__, extra={"use_case": self.stream})
            return
        self.tracker.mark_committed(offsets)
        self.metrics.commits.labels(self.stream, "ok").inc()

    def _report_lag(self) -> None:
        for tp, state in self.tracker:
            assert isinstance(tp, TopicPartition)
            # highwater() comes from fetch responses: tansu's ListOffsets (end_offsets) is wrong.
            highwater = self._consumer.highwater(tp)
            # The commit point is the lowest unfinished offset: a record fetched but stuck keeps the lag up.
            position = state.commit_point if state.commit_point is not None else state.committed
            if highwater is not None and position is not None:
                self.metrics.consumer_lag.labels(self.stream, tp.topic, str(tp.partition)).set(
                    max(highwater - position, 0)
                )

    def _close(self) -> None:
        try:
            self._drain_finished()
            self._commit()
        except Exception:
            log.exception("final commit failed", extra={"use_case": self.stream})
        try:
            # close() revokes through the listener, which releases and commits once more.
            self._consumer.close(autocommit=False, timeout_ms=5000)
        except Exception:
            log.exception("consumer close failed", extra={"use_case": self.stream})

    # --- rebalance (on kafka-python's IO thread; this thread is blocked meanwhile) -----------------

    def assigned_partitions(self, partitions: Iterable[TopicPartition]) -> None:
        partitions = list(partitions)
        for tp in partitions:
            if tp not in self.tracker:
                self.tracker.assign(tp)
            resume = self._resume_at.get(tp)
            if resume is not None:
                # An eager rebalance handed back a partition we just revoked: kafka-python keeps its
                # fetch position, which is past the records we abandoned. Go back to the commit point.
                self._consumer.seek(tp, resume)
        self._resume_at.clear()
        self.metrics.rebalances.labels(self.stream, "assigned").inc(len(partitions))
        self.metrics.assigned_partitions.labels(self.stream).set(self.assigned)
        log.info("partitions assigned: %s", _names(partitions), extra={"use_case": self.stream})

    async def revoked_partitions(self, partitions: set[TopicPartition], *, commit: bool) -> None:
        mine = {tp for tp in partitions if tp in self.tracker}
        if not mine:
            return
        released: ThreadFuture[None] = asyncio.run_coroutine_threadsafe(
            self.engine.release(self.stream, {(tp.topic, tp.partition) for tp in mine}, self.revoke_budget),
            self.loop,
        )
        deadline = time.monotonic() + self.revoke_budget + 2.0
        while not released.done() and time.monotonic() < deadline:
            await self._io_sleep(0.02)
        self._drain_finished()
        offsets = self.tracker.to_commit(set(mine))
        if commit and offsets:
            future = self._consumer.commit_async(offsets=_kafka_offsets(offsets))
            deadline = time.monotonic() + 5.0
            while not future.is_done and time.monotonic() < deadline:
                await self._io_sleep(0.02)
            ok = future.is_done and future.succeeded()
            self.metrics.commits.labels(self.stream, "ok" if ok else "failed").inc()
        for tp in mine:
            state = self.tracker.get(tp)
            if state is not None and state.commit_point is not None:
                self._resume_at[tp] = state.commit_point
            self.tracker.revoke(tp)
            self._held.pop(tp, None)
            self.metrics.consumer_lag.remove(self.stream, tp.topic, str(tp.partition))
        event = "revoked" if commit else "lost"
        self.metrics.rebalances.labels(self.stream, event).inc(len(mine))
        self.metrics.assigned_partitions.labels(self.stream).set(self.assigned)
        log.info("partitions %s: %s", event, _names(mine), extra={"use_case": self.stream})

    async def _io_sleep(self, seconds: float) -> None:
        # kafka-python's IO loop is not asyncio: awaiting its own sleep keeps heartbeats flowing.
        await self._consumer._net.sleep(seconds)


class _Listener(AsyncConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, owner: ConsumerThread) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self.owner.revoked_partitions(set(revoked), commit=True)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self.owner.assigned_partitions(assigned)

    async def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        await self.owner.revoked_partitions(set(lost), commit=False)


def _kafka_offsets(offsets: dict[Hashable, int]) -> dict[Any, OffsetAndMetadata]:
    return {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}


def _names(partitions: Iterable[TopicPartition]) -> str:
    return ",".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(partitions))
