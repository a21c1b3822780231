"""One record from inbound bytes to its terminal state: an outcome, or a dead letter (plus an outcome).

    poison (oversized, unparseable, schema-invalid, bad key) -> dead letter at once
    a type its stream does not carry (unknown, or another stream's) -> dead letter at once
    recently finished event id -> the same deterministic outcome again, no Amili call
    handler succeeds -> `succeeded`;  Amili says no -> `rejected` (both carry Amili's action status)
    Amili has no case yet -> look again with backoff for the use case's bounded wait -> else `rejected`
    Amili refuses this record's access (403) or our endpoint (404/405) -> dead letter at once
    transient failure -> wait (other keys flow) and retry while the budget lasts -> else dead letter
    anything else (a bug) -> dead letter at once
    a dead-lettered outcome says whether a write may have landed (a timeout or dropped connection)
    the broker refuses the terminal state for good -> the record stays unfinished, its partition stuck

A record is dispatched to its use case by its CloudEvents type once its envelope is read, so each use
case of a stream keeps its own budget, reconcile policy, in-flight cap and metric labels. A record no
use case took is labelled with its stream's name. The record is finished only when the broker
acknowledged what was published for it; what is published, and how, is `workers.runtime.publishing`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from schemas.codec import InboundEvent, decode_data, parse_envelope
from schemas.envelope import CloudEvent
from schemas.errors import ContractError
from schemas.identity import event_identity
from schemas.outcomes import OutcomeStatus, outcome_for_undecodable
from workers.runtime.awaiting import CaseWait, awaits_case
from workers.runtime.breaker import CircuitBreaker
from workers.runtime.consumer import Inbound
from workers.runtime.context import Context
from workers.runtime.dedup import RecentOutcomes
from workers.runtime.metrics import Metrics
from workers.runtime.producer import Publisher, PublishRefused
from workers.runtime.publishing import (
    REDRIVE_COUNT_HEADER,
    StuckPartitions,
    TerminalPublisher,
    amili_status,
    field_issues,
    redrive_count,
)
from workers.runtime.registry import UseCase
from workers.runtime.retry import Budget, ErrorKind, RetryPolicy, classify, error_class
from workers.runtime.routes import Route
from workers.runtime.scheduler import InFlightLimit

log = logging.getLogger(__name__)

__all__ = ["REDRIVE_COUNT_HEADER", "RecordHandler", "StreamRuntime", "UseCaseRuntime"]


@dataclass
class UseCaseRuntime:
    """A use case as the engine runs it, shared by every stream that carries it."""

    use_case: UseCase
    policy: RetryPolicy
    limit: InFlightLimit
    await_case_seconds: float = 0.0


@dataclass
class StreamRuntime:
    """A stream as the engine runs it: its route, its use cases by event type, and how a record is finished."""

    route: Route
    use_cases: Mapping[str, UseCaseRuntime]  # event type -> use case
    finish: Callable[[Inbound], None]


class RecordHandler:
    """Turns one `Inbound` into exactly one terminal state (see the module docstring)."""

    def __init__(
        self,
        *,
        publisher: Publisher,
        metrics: Metrics,
        breaker: CircuitBreaker,
        limit: InFlightLimit,
        recent: RecentOutcomes,
        max_record_bytes: int,
        amili: Any = None,
        documents: Any = None,
    ) -> None:
        self.publisher = publisher
        self.terminal = TerminalPublisher(publisher, metrics)
        self.stuck = StuckPartitions(metrics)
        self.metrics = metrics
        self.breaker = breaker
        self.limit = limit
        self.recent = recent
        self.max_record_bytes = max_record_bytes
        self.amili = amili
        self.documents = documents

    async def handle(self, stream: StreamRuntime, record: Inbound) -> None:
        """Process and publish; a cancellation (revocation past its budget) leaves the record unfinished."""
        started = time.monotonic()
        try:
            name, outcome = await self._terminal_state(stream, record)
        except PublishRefused as exc:
            await self.stuck.hold(stream.route.name, record, exc)  # until the partition is taken away
            return
        self.metrics.events_finished.labels(name, outcome).inc()
        self.metrics.handler_duration.labels(name).observe(time.monotonic() - started)
        stream.finish(record)

    async def _terminal_state(self, stream: StreamRuntime, record: Inbound) -> tuple[str, str]:
        """(use-case label, terminal outcome) once what finishes the record is acknowledged."""
        rt: UseCaseRuntime | None = None
        try:
            rt, decoded = self._dispatch(stream, record)
            if isinstance(decoded, ContractError):
                await self._poison(stream, rt, record, decoded)
                outcome = "dead_lettered"
            else:
                assert rt is not None  # a decoded event always has its use case
                outcome = await self._process(stream, rt, record, decoded)
        except (asyncio.CancelledError, PublishRefused):
            raise
        except Exception as exc:
            # Our own failure (an outcome that does not encode, say): park the record, never drop it.
            log.exception("record handling failed; dead-lettering", extra={"use_case": _label(stream, rt)})
            budget = Budget(rt.policy if rt else RetryPolicy())
            budget.failed(exc)
            await self._dead_letter(stream, rt, record, exc, budget, None)
            outcome = "dead_lettered"
        return _label(stream, rt), outcome

    def _dispatch(
        self, stream: StreamRuntime, record: Inbound
    ) -> tuple[UseCaseRuntime | None, InboundEvent | ContractError]:
        """The record's use case (by CloudEvents type, once the envelope is read) and its decoded event.

        A type the stream does not carry is refused with a contract error, never handed to a use case.
        """
        try:
            if record.value is not None and len(record.value) > self.max_record_bytes:
                raise ContractError.single("value", "oversized", f"larger than {self.max_record_bytes} bytes")
            envelope, binary = parse_envelope(record.value, record.headers)
        except ContractError as exc:
            return None, exc
        rt = stream.use_cases.get(envelope.type)
        if rt is None:
            return None, stream.route.refuse(envelope.type, binary)
        try:
            return rt, decode_data(record.key, envelope, binary)
        except ContractError as exc:
            return rt, exc

    async def _process(self, stream: StreamRuntime, rt: UseCaseRuntime, record: Inbound, event: InboundEvent) -> str:
        uc = rt.use_case
        extra = _log_extra(uc.name, event.envelope)
        cached = self.recent.get(uc.name, _identity(event.envelope))
        if cached is not None:
            await self.publisher.publish(
                uc.publishes, record.key, cached[0], cached[1], on_failure=self.terminal.failed
            )
            log.info("duplicate event: the earlier outcome is published again", extra=extra)
            return "duplicate"
        wait = CaseWait(uc.name, rt.await_case_seconds, rt.policy, self.metrics)
        try:
            return await self._attempts(stream, rt, record, event.data, event.envelope, extra, wait)
        finally:
            wait.close()

    async def _attempts(
        self,
        stream: StreamRuntime,
        rt: UseCaseRuntime,
        record: Inbound,
        data: Any,
        envelope: CloudEvent,
        extra: dict[str, Any],
        wait: CaseWait,
    ) -> str:
        uc = rt.use_case
        budget = Budget(rt.policy)
        reconcile = record.in_reconcile_window or uc.options.reconcile == "always" or redrive_count(record) > 0
        while True:
            waited = time.monotonic()
            turn = await self.breaker.wait_turn()
            began = time.monotonic()
            budget.waited_seconds += began - waited
            attempt = budget.attempt_started(probe=turn.probe)
            ctx = Context(
                uc.name, envelope, reconcile or budget.may_have_landed, attempt, self.amili, self.amili, self.documents
            )
            try:
                # The use case's own cap first: waiting for it must not hold a worker-wide slot.
                async with rt.limit.slot(), self.limit.slot():
                    self.metrics.in_flight.set(self.limit.in_flight)
                    result = await uc.handler(data, ctx)
            except asyncio.CancelledError:
                if turn.probe:
                    self.breaker.probe_abandoned()
                raise
            except Exception as exc:
                if wait.enabled and awaits_case(exc):
                    # Amili answered (no such case yet): not an outage, and not the transient budget's business.
                    self.breaker.record(True, probe=turn.probe)
                    budget.free_attempts += 1
                    pause = wait.missing()
                    if pause is None:
                        detail = {"awaited_case_seconds": wait.seconds}
                        await self._outcome(uc, record, envelope, "rejected", errors=field_issues(exc), detail=detail)
                        log.info("no case after waiting %.0fs; rejected", wait.seconds, extra=extra)
                        return "rejected"
                    if wait.looks == 1:
                        log.info("no case yet; waiting up to %.0fs for it", wait.seconds, extra=extra)
                    await asyncio.sleep(pause)
                    budget.waited_seconds += time.monotonic() - began
                    continue
                kind = classify(exc)
                budget.failed(exc)
                if kind is ErrorKind.REJECTED:
                    wait.found()
                    self.breaker.record(True, probe=turn.probe)
                    await self._outcome(
                        uc, record, envelope, "rejected", errors=field_issues(exc), amili_status=amili_status(exc)
                    )
                    log.info("rejected by Amili: %s", error_class(exc), extra=extra)
                    return "rejected"
                if kind is ErrorKind.DEAD_LETTER:
                    # Amili answered (this record's access, or our endpoint): no outage, no retry.
                    self.breaker.record(True, probe=turn.probe)
                    log.warning("refused by Amili for this record: %s; dead-lettering", error_class(exc), extra=extra)
                    await self._dead_letter(stream, rt, record, exc, budget, envelope)
                    return "dead_lettered"
                if kind is ErrorKind.FATAL:
                    wait.found()
                    if turn.probe:
                        self.breaker.probe_abandoned()  # a bug says nothing about Amili's health
                    log.error("use case failed; dead-lettering", exc_info=True, extra=extra)
                    await self._dead_letter(stream, rt, record, exc, budget, envelope)
                    return "dead_lettered"
                self.breaker.record(False, probe=turn.probe)
                if budget.exhausted():
                    log.warning("retry budget spent after %d attempts", budget.attempts, extra=extra)
                    await self._dead_letter(stream, rt, record, exc, budget, envelope)
                    return "dead_lettered"
                self.metrics.retries.labels(uc.name, error_class(exc)).inc()
                await asyncio.sleep(budget.next_delay(exc))
            else:
                wait.found()
                self.breaker.record(True, probe=turn.probe)
                case_url = self.amili.deep_link(result.case_id) if result.case_id and self.amili else None
                value, headers = await self._outcome(
                    uc,
                    record,
                    envelope,
                    "succeeded",
                    result=result,
                    case_url=case_url,
                    amili_status=amili_status(result),
                )
                self.recent.put(uc.name, _identity(envelope), value, headers)
                return "succeeded"
            finally:
                self.metrics.in_flight.set(self.limit.in_flight)

    # --- publishing (workers.runtime.publishing) ---------------------------------------------------

    async def _outcome(
        self, uc: UseCase, record: Inbound, envelope: CloudEvent, status: OutcomeStatus, **fields: Any
    ) -> tuple[bytes, list[tuple[str, bytes]]]:
        """Publish the outcome (`fields` as `TerminalPublisher.outcome` takes them); a rejection is cached."""
        value, headers = await self.terminal.outcome(uc.name, uc.publishes, record, envelope, status, **fields)
        if status == "rejected":
            self.recent.put(uc.name, _identity(envelope), value, headers)
        return value, headers

    async def _poison(
        self, stream: StreamRuntime, rt: UseCaseRuntime | None, record: Inbound, exc: ContractError
    ) -> None:
        budget = Budget(rt.policy if rt else RetryPolicy())
        budget.failed(exc)
        name = _label(stream, rt)
        outcome = outcome_for_undecodable(
            record.value,
            record.headers,
            use_case=name,
            error=exc,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
        )
        log.warning(
            "poison record dead-lettered: %s [%s]",
            exc.field,
            exc.rule,
            extra={"use_case": name, "topic": record.topic, "offset": record.offset},
        )
        await self._dead_letter(stream, rt, record, exc, budget, None, outcome=outcome)

    async def _dead_letter(
        self,
        stream: StreamRuntime,
        rt: UseCaseRuntime | None,
        record: Inbound,
        exc: BaseException,
        budget: Budget,
        envelope: CloudEvent | None,
        *,
        outcome: CloudEvent | None = None,
    ) -> None:
        # Dead letters stay with the stream they came from (a redrive sends them back there).
        publishes = rt.use_case.publishes if rt else stream.route.publishes
        await self.terminal.dead_letter(
            stream.route, _label(stream, rt), publishes, record, exc, budget, envelope, outcome=outcome
        )


def _label(stream: StreamRuntime, rt: UseCaseRuntime | None) -> str:
    """The use-case label of a record: its use case, or its stream when no use case took it."""
    return rt.use_case.name if rt else stream.route.name


def _identity(envelope: CloudEvent) -> str:
    """The event's identity for the recent-outcome cache: `(source, id)`, never the id alone."""
    return event_identity(envelope.source, envelope.id)


def _log_extra(use_case: str, envelope: CloudEvent) -> dict[str, Any]:
    return {"use_case": use_case, "event_id": envelope.id, "correlation_id": envelope.correlationid or envelope.id}
