"""One record from inbound bytes to its terminal state: an outcome, or a dead letter (plus an outcome).

    poison (oversized, unparseable, schema-invalid, unknown type, bad key) -> dead letter at once
    recently finished event id -> the same deterministic outcome again, no Amili call
    handler succeeds -> `succeeded`;  Amili says no -> `rejected` (both carry Amili's action status)
    Amili refuses this record's access (403) or our endpoint (404/405) -> dead letter at once
    transient failure -> wait (other keys flow) and retry while the budget lasts -> else dead letter
    anything else (a bug) -> dead letter at once
    a dead-lettered outcome says whether a write may have landed (a timeout or dropped connection)

The record is finished only when the broker acknowledged what was published for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from schemas.codec import decode_event, encode_event, event_headers
from schemas.deadletter import dead_letter_headers
from schemas.envelope import CloudEvent
from schemas.errors import ContractError, FieldIssue
from schemas.identity import event_identity
from schemas.outcomes import AmiliStatus, OutcomeStatus, build_outcome, outcome_for_undecodable
from workers.amili import assumptions
from workers.amili.errors import RejectedError
from workers.runtime.breaker import CircuitBreaker
from workers.runtime.consumer import Inbound
from workers.runtime.context import Context, Succeeded
from workers.runtime.dedup import RecentOutcomes
from workers.runtime.logs import redact
from workers.runtime.metrics import Metrics
from workers.runtime.producer import Publisher
from workers.runtime.registry import UseCase
from workers.runtime.retry import Budget, ErrorKind, RetryPolicy, classify, error_class
from workers.runtime.scheduler import InFlightLimit

log = logging.getLogger(__name__)

#: Set by `amili-fleet dlq redrive` on a re-published record: how often it has been redriven.
REDRIVE_COUNT_HEADER = "amili-fleet-redrive-count"


@dataclass
class UseCaseRuntime:
    """A use case as the engine runs it."""

    use_case: UseCase
    group_id: str
    policy: RetryPolicy
    limit: InFlightLimit
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
        self.metrics = metrics
        self.breaker = breaker
        self.limit = limit
        self.recent = recent
        self.max_record_bytes = max_record_bytes
        self.amili = amili
        self.documents = documents

    async def handle(self, rt: UseCaseRuntime, record: Inbound) -> None:
        """Process and publish; a cancellation (revocation past its budget) leaves the record unfinished."""
        started = time.monotonic()
        try:
            outcome = await self._process(rt, record)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            # Our own failure (an outcome that does not encode, say): park the record, never drop it.
            log.exception("record handling failed; dead-lettering", extra={"use_case": rt.use_case.name})
            budget = Budget(rt.policy)
            budget.failed(exc)
            await self._dead_letter(rt, record, exc, budget, None)
            outcome = "dead_lettered"
        name = rt.use_case.name
        self.metrics.events_finished.labels(name, outcome).inc()
        self.metrics.handler_duration.labels(name).observe(time.monotonic() - started)
        rt.finish(record)

    async def _process(self, rt: UseCaseRuntime, record: Inbound) -> str:
        uc = rt.use_case
        try:
            if record.value is not None and len(record.value) > self.max_record_bytes:
                raise ContractError.single("value", "oversized", f"larger than {self.max_record_bytes} bytes")
            event = decode_event(record.key, record.value, record.headers)
            if uc.event is not None and not isinstance(event.data, uc.event):
                raise ContractError.single("type", "wrong_topic", f"{uc.name} does not handle this event type")
        except ContractError as exc:
            await self._poison(rt, record, exc)
            return "dead_lettered"
        extra = _log_extra(uc.name, event.envelope)
        cached = self.recent.get(uc.name, _identity(event.envelope))
        if cached is not None:
            await self.publisher.publish(uc.publishes, record.key, cached[0], cached[1])
            log.info("duplicate event: the earlier outcome is published again", extra=extra)
            return "duplicate"
        return await self._attempts(rt, record, event.data, event.envelope, extra)

    async def _attempts(
        self, rt: UseCaseRuntime, record: Inbound, data: Any, envelope: CloudEvent, extra: dict[str, Any]
    ) -> str:
        uc = rt.use_case
        budget = Budget(rt.policy)
        reconcile = record.in_reconcile_window or uc.options.reconcile == "always" or _redrive_count(record) > 0
        while True:
            waited = time.monotonic()
            turn = await self.breaker.wait_turn()
            budget.waited_seconds += time.monotonic() - waited
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
                kind = classify(exc)
                budget.failed(exc)
                if kind is ErrorKind.REJECTED:
                    self.breaker.record(True, probe=turn.probe)
                    await self._outcome(
                        uc, record, envelope, "rejected", errors=_issues(exc), amili_status=_amili_status(exc)
                    )
                    log.info("rejected by Amili: %s", error_class(exc), extra=extra)
                    return "rejected"
                if kind is ErrorKind.DEAD_LETTER:
                    # Amili answered (this record's access, or our endpoint): no outage, no retry.
                    self.breaker.record(True, probe=turn.probe)
                    log.warning("refused by Amili for this record: %s; dead-lettering", error_class(exc), extra=extra)
                    await self._dead_letter(rt, record, exc, budget, envelope)
                    return "dead_lettered"
                if kind is ErrorKind.FATAL:
                    if turn.probe:
                        self.breaker.probe_abandoned()  # a bug says nothing about Amili's health
                    log.error("use case failed; dead-lettering", exc_info=True, extra=extra)
                    await self._dead_letter(rt, record, exc, budget, envelope)
                    return "dead_lettered"
                self.breaker.record(False, probe=turn.probe)
                if budget.exhausted():
                    log.warning("retry budget spent after %d attempts", budget.attempts, extra=extra)
                    await self._dead_letter(rt, record, exc, budget, envelope)
                    return "dead_lettered"
                self.metrics.retries.labels(uc.name, error_class(exc)).inc()
                await asyncio.sleep(budget.next_delay(exc))
            else:
                self.breaker.record(True, probe=turn.probe)
                case_url = self.amili.deep_link(result.case_id) if result.case_id and self.amili else None
                value, headers = await self._outcome(
                    uc,
                    record,
                    envelope,
                    "succeeded",
                    result=result,
                    case_url=case_url,
                    amili_status=_amili_status(result),
                )
                self.recent.put(uc.name, _identity(envelope), value, headers)
                return "succeeded"
            finally:
                self.metrics.in_flight.set(self.limit.in_flight)

    # --- publishing -------------------------------------------------------------------------------

    async def _outcome(
        self,
        uc: UseCase,
        record: Inbound,
        envelope: CloudEvent,
        status: OutcomeStatus,
        *,
        result: Succeeded | None = None,
        case_url: str | None = None,
        errors: list[FieldIssue] | None = None,
        detail: dict[str, Any] | None = None,
        amili_status: AmiliStatus | None = None,
    ) -> tuple[bytes, list[tuple[str, bytes]]]:
        outcome = build_outcome(
            envelope,
            use_case=uc.name,
            status=status,
            amili_ids=dict(result.amili_ids) if result else None,
            case_url=case_url,
            errors=errors,
            detail={**(result.detail if result else {}), **(detail or {})},
            amili_status=amili_status,
        )
        value, headers = encode_event(outcome), event_headers(outcome)
        await self.publisher.publish(uc.publishes, record.key, value, headers, on_failure=self._publish_failed)
        if status == "rejected":
            self.recent.put(uc.name, _identity(envelope), value, headers)
        return value, headers

    async def _poison(self, rt: UseCaseRuntime, record: Inbound, exc: ContractError) -> None:
        budget = Budget(rt.policy)
        budget.failed(exc)
        outcome = outcome_for_undecodable(
            record.value,
            record.headers,
            use_case=rt.use_case.name,
            error=exc,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
        )
        log.warning(
            "poison record dead-lettered: %s [%s]",
            exc.field,
            exc.rule,
            extra={"use_case": rt.use_case.name, "topic": record.topic, "offset": record.offset},
        )
        await self._dead_letter(rt, record, exc, budget, None, outcome=outcome)

    async def _dead_letter(
        self,
        rt: UseCaseRuntime,
        record: Inbound,
        exc: BaseException,
        budget: Budget,
        envelope: CloudEvent | None,
        *,
        outcome: CloudEvent | None = None,
    ) -> None:
        uc = rt.use_case
        now = time.time()
        headers = dead_letter_headers(
            original_headers=record.headers,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp_ms,
            consumer_group=rt.group_id,
            use_case=uc.name,
            attempts=budget.attempts,
            first_failure=datetime.fromtimestamp(budget.first_failure or now, UTC),
            last_failure=datetime.fromtimestamp(budget.last_failure or now, UTC),
            error_class=error_class(exc),
            error_message=redact(str(exc)) or error_class(exc),
            http_status=getattr(exc, "status", None),
            response_excerpt=getattr(exc, "response_excerpt", None),
            redrive_count=_redrive_count(record),
        )
        sends = [
            self.publisher.publish(
                uc.dead_letter_topic, record.key, record.value, headers, on_failure=self._publish_failed
            )
        ]
        if outcome is None and envelope is not None:
            detail = {"error_class": error_class(exc), "attempts": budget.attempts}
            outcome = build_outcome(
                envelope,
                use_case=uc.name,
                status="dead_lettered",
                detail=detail,
                may_have_landed=budget.may_have_landed,
            )
        if outcome is not None:
            value, out_headers = encode_event(outcome), event_headers(outcome)
            sends.append(
                self.publisher.publish(uc.publishes, record.key, value, out_headers, on_failure=self._publish_failed)
            )
        await asyncio.gather(*sends)
        self.metrics.dead_letters.labels(uc.name, error_class(exc)).inc()

    def _publish_failed(self, exc: BaseException) -> None:
        self.metrics.publish_failures.labels(type(exc).__name__).inc()


def _issues(exc: BaseException) -> list[FieldIssue]:
    issues = getattr(exc, "issues", None) if isinstance(exc, RejectedError) else None
    rule = error_class(exc).removesuffix("Error").lower() or "rejected"
    if issues:
        return [FieldIssue(field=str(f), rule=rule, message=redact(str(m))) for f, m in issues.items()]
    return [FieldIssue(field="request", rule=rule, message=redact(str(exc)) or rule)]


def _amili_status(source: object) -> AmiliStatus | None:
    """Amili's processing status carried by a use case's result or a rejection, for the outcome."""
    status = getattr(source, "amili_status", None)
    if not isinstance(status, str):
        return None
    if status not in assumptions.ACTION_STATUSES:
        log.warning("Amili answered an action status we do not know; passed on as sent: %s", status[:50])
    reason = getattr(source, "amili_status_reason", None)
    # Passed on as sent, within the contract's bounds (an unknown value must not break the outcome).
    return AmiliStatus(status=status[:100], reason=reason[:500] if isinstance(reason, str) else None)


def _identity(envelope: CloudEvent) -> str:
    """The event's identity for the recent-outcome cache: `(source, id)`, never the id alone."""
    return event_identity(envelope.source, envelope.id)


def _redrive_count(record: Inbound) -> int:
    for name, value in record.headers:
        if name == REDRIVE_COUNT_HEADER:
            try:
                return int(value.decode())
            except (ValueError, UnicodeDecodeError):
                return 0
    return 0


def _log_extra(use_case: str, envelope: CloudEvent) -> dict[str, Any]:
    return {"use_case": use_case, "event_id": envelope.id, "correlation_id": envelope.correlationid or envelope.id}
