"""A record's terminal state is always publishable, or its partition is visibly stuck; dead letters say what happened.

The publisher here behaves as kafka-python's does at its edges: it refuses a record over its request size
with MessageSizeTooLargeError, and a topic it may not write to with TopicAuthorizationFailedError.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import orjson
import pytest
from kafka.errors import KafkaTimeoutError, MessageSizeTooLargeError, TopicAuthorizationFailedError

from schemas.deadletter import HEADERS_DROPPED, VALUE_EXCERPT_BYTES, VALUE_TRUNCATED, read_dead_letter
from tests.fixtures.runtime import event
from tests.runtime.aio import run_async
from tests.runtime.harness import Harness, MemoryPublisher, inbound
from workers.amili.errors import CaseNotFoundError, TransientError
from workers.runtime.context import Context, Succeeded
from workers.runtime.engine import Engine
from workers.runtime.kafka_settings import KafkaSettings
from workers.runtime.metrics import Metrics
from workers.runtime.producer import Publisher, PublishRefused
from workers.runtime.publishing import StuckPartitions, bounded_dead_letter, record_size
from workers.runtime.registry import discover
from workers.runtime.routes import build_routes
from workers.runtime.settings import WorkerSettings

MiB = 1024 * 1024


class EdgePublisher(MemoryPublisher):
    """Keeps what fits in 1 MiB; refuses bigger records and the topics in `refused`, as the broker would."""

    max_request_bytes = MiB

    def __init__(self, refused: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.refused = refused

    async def publish(self, topic: str, key: Any, value: Any, headers: Any, *, on_failure: Any = None) -> None:
        if topic in self.refused:
            cause: Exception = TopicAuthorizationFailedError()
        elif record_size(key, value, list(headers)) > self.max_request_bytes:
            cause = MessageSizeTooLargeError()
        else:
            await super().publish(topic, key, value, headers)
            return
        if on_failure is not None:
            on_failure(cause)
        raise PublishRefused(topic, cause)


def _oversized_event() -> bytes:
    _, value, _ = event(1, 0, event_id="evt-big")
    envelope = orjson.loads(value)
    envelope["data"]["padding"] = "x" * (2 * MiB)
    return orjson.dumps(envelope)


def _harness(publisher: MemoryPublisher, handler: Any = None, **kwargs: Any) -> Harness:
    async def ok(data: Any, ctx: Context) -> Succeeded:
        return Succeeded()

    h = Harness(handler or ok, **kwargs)
    h.publisher = publisher
    h.handler.publisher = publisher  # type: ignore[assignment]
    h.handler.terminal.publisher = publisher  # type: ignore[assignment]
    h.handler.terminal.max_request_bytes = MiB
    return h


@run_async
async def test_an_oversized_record_is_dead_lettered_with_its_position_headers_and_an_excerpt():
    h = _harness(EdgePublisher())
    original = _oversized_event()
    record = inbound(value=original, headers=[("trace", b"t-1")])
    await h.handle(record)
    (letter,) = h.publisher.on("in.dlq")
    _, key, value, headers = letter
    assert key == record.key
    assert value == original[:VALUE_EXCERPT_BYTES]
    assert (VALUE_TRUNCATED, str(len(original)).encode()) in headers
    info = read_dead_letter(headers)
    assert (info.original_topic, info.original_partition, info.original_offset) == ("in", 0, 7)
    assert (info.error_class, info.use_case) == ("ContractError", "mixed")
    assert ("trace", b"t-1") in info.original_headers
    assert h.statuses() == ["dead_lettered"]
    assert h.finished == [record]


def test_a_dead_letter_whose_headers_alone_are_too_big_keeps_only_its_own():
    headers = [("huge", b"h" * (2 * MiB)), ("dlq.original_topic", b"in")]
    value, kept = bounded_dead_letter(b"k", b"v" * (2 * MiB), headers, MiB)
    assert value == b"v" * VALUE_EXCERPT_BYTES
    assert kept == [("dlq.original_topic", b"in"), (VALUE_TRUNCATED, str(2 * MiB).encode()), (HEADERS_DROPPED, b"1")]
    small = [("a", b"b")]
    assert bounded_dead_letter(b"k", b"v", small, MiB) == (b"v", small)


@run_async
async def test_a_refused_dead_letter_leaves_the_partition_visibly_stuck_until_it_is_taken_away():
    h = _harness(EdgePublisher(refused=("in.dlq",)))
    record = inbound(value=b"not json")
    task = asyncio.create_task(h.handle(record))
    for _ in range(100):
        await asyncio.sleep(0.01)
        if h.handler.stuck.reasons():
            break
    (reason,) = h.handler.stuck.reasons()
    assert reason.startswith("stuck in/0 at offset 7: in.dlq refuses it (TopicAuthorizationFailedError)")
    assert h.count(h.metrics.stuck_partitions, "mixed") == 1
    assert h.count(h.metrics.publish_failures, "TopicAuthorizationFailedError") == 1  # tried once, not in a loop
    assert not task.done()
    assert h.finished == []  # the commit point stays before it: nothing is lost

    engine = Engine(
        [build_routes(discover(), WorkerSettings())["register_invoice"]], worker=WorkerSettings(), kafka=KafkaSettings()
    )
    engine._handler = h.handler
    ok, detail = engine.ready()
    assert not ok
    assert "stuck in/0 at offset 7" in detail

    task.cancel()  # the partition is revoked (or the worker drains): the next owner tries again
    await asyncio.gather(task, return_exceptions=True)
    assert h.handler.stuck.reasons() == []
    assert h.count(h.metrics.stuck_partitions, "mixed") == 0
    assert h.finished == []


@run_async
async def test_a_dead_letter_after_its_retries_names_the_last_error_and_counts_the_budgeted_attempts():
    calls = 0

    async def missing_then_down(data: Any, ctx: Context) -> Succeeded:
        nonlocal calls
        calls += 1
        if calls == 1:  # a look for a case that is not there yet is free
            raise CaseNotFoundError("no case", issues={"data.case.invoice_number": "no such case"})
        raise TransientError(f"bad gateway #{calls}", status=502)

    h = _harness(MemoryPublisher(), missing_then_down, max_attempts=3, await_case_seconds=30)
    await h.handle(inbound())
    assert calls == 4
    (letter,) = h.publisher.on("in.dlq")
    assert read_dead_letter(letter[3]).attempts == 3
    (outcome,) = h.outcomes()
    assert outcome["status"] == "dead_lettered"
    assert outcome["detail"]["attempts"] == 3
    assert outcome["errors"] == [{"field": "request", "rule": "transient", "message": "bad gateway #4"}]


class _Sends(Publisher):
    """The real `publish` loop over a scripted `send` (no broker needed for the retry decision)."""

    def __init__(self, *failures: Exception) -> None:
        self.failures = list(failures)
        self.calls = 0

    def send(self, topic: str, key: Any, value: Any, headers: Any) -> asyncio.Future[None]:
        self.calls += 1
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self.failures:
            done.set_exception(self.failures.pop(0))
        else:
            done.set_result(None)
        return done


@run_async
async def test_publish_retries_what_passes_and_refuses_at_once_what_never_will():
    seen: list[str] = []
    passing = _Sends(KafkaTimeoutError())
    await passing.publish("t", None, b"v", [], on_failure=lambda e: seen.append(type(e).__name__))
    assert passing.calls == 2

    for cause in (MessageSizeTooLargeError(), TopicAuthorizationFailedError()):
        refusing = _Sends(cause, cause, cause)
        with pytest.raises(PublishRefused) as refused:
            await refusing.publish("t", None, b"v", [], on_failure=lambda e: seen.append(type(e).__name__))
        assert refused.value.cause is cause
        assert refusing.calls == 1  # not retried
    assert seen == ["KafkaTimeoutError", "MessageSizeTooLargeError", "TopicAuthorizationFailedError"]


def test_a_partition_holding_two_refused_records_stays_stuck_until_both_are_released():
    metrics = Metrics()
    stuck = StuckPartitions(metrics)
    first, second = inbound(), replace(inbound(), offset=9)
    stuck.mark("mixed", second, "in.dlq refuses it (X)")
    stuck.mark("mixed", first, "out refuses it (Y)")
    assert stuck.reasons() == ["stuck in/0 at offset 7: out refuses it (Y)"]
    stuck.clear("mixed", first)
    assert stuck.reasons() == ["stuck in/0 at offset 9: in.dlq refuses it (X)"]
    assert metrics.registry.get_sample_value("amili_fleet_stuck_partitions", {"use_case": "mixed"}) == 1
    stuck.clear("mixed", second)
    assert stuck.reasons() == []
    assert metrics.registry.get_sample_value("amili_fleet_stuck_partitions", {"use_case": "mixed"}) == 0
