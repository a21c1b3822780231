"""Publishing a record's terminal state: its outcome, or its dead letter plus a `dead_lettered` outcome.

A dead letter is always publishable: one that would not fit the producer's request size keeps the
original's position (the `dlq.*` headers), its headers and a bounded excerpt of its value
(`schemas.deadletter`). A publish the broker refuses for good (`PublishRefused`: too large, invalid,
not authorized) is never retried in a loop; the record handler marks the partition stuck instead
(`StuckPartitions`: a metric, the `/readyz` reason, an alert).

A dead-lettered outcome names the last error (its class and redacted message) and the attempts counted
against the retry budget: probes of a half-open breaker and looks for a case that is not there yet are
free, so they are not counted (a default budget of 8 reads 8, never 9).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from schemas.codec import encode_event, event_headers
from schemas.deadletter import (
    HEADERS_DROPPED,
    PREFIX,
    VALUE_EXCERPT_BYTES,
    VALUE_TRUNCATED,
    dead_letter_headers,
)
from schemas.envelope import CloudEvent
from schemas.errors import FieldIssue
from schemas.outcomes import AmiliStatus, OutcomeStatus, build_outcome
from workers.amili import assumptions
from workers.amili.errors import RejectedError
from workers.runtime.awaiting import awaits_case
from workers.runtime.consumer import Inbound
from workers.runtime.context import Succeeded
from workers.runtime.logs import redact
from workers.runtime.metrics import Metrics
from workers.runtime.producer import DEFAULT_MAX_REQUEST_BYTES, Publisher, PublishRefused
from workers.runtime.retry import Budget, error_class
from workers.runtime.routes import Route

log = logging.getLogger(__name__)

Headers = list[tuple[str, bytes]]
#: Room left for the record batch's own framing on top of kafka-python's per-record estimate.
_BATCH_OVERHEAD_BYTES = 1024


def counted_attempts(budget: Budget) -> int:
    """Attempts that spent the retry budget (free probes and case looks left out)."""
    return max(budget.attempts - budget.free_attempts, 1 if budget.attempts else 0)


def field_issues(exc: BaseException) -> list[FieldIssue]:
    """The field errors an outcome carries for `exc`: Amili's issues, else one issue naming the request."""
    issues = getattr(exc, "issues", None) if isinstance(exc, RejectedError) else None
    # "No such case" keeps the rule it had before the wait existed: producers already parse it.
    rule = "rejected" if awaits_case(exc) else error_class(exc).removesuffix("Error").lower() or "rejected"
    if issues:
        return [FieldIssue(field=str(f), rule=rule, message=redact(str(m))) for f, m in issues.items()]
    return [FieldIssue(field="request", rule=rule, message=redact(str(exc)) or rule)]


def amili_status(source: object) -> AmiliStatus | None:
    """Amili's processing status carried by a use case's result or a rejection, for the outcome."""
    status = getattr(source, "amili_status", None)
    if not isinstance(status, str):
        return None
    if status not in assumptions.ACTION_STATUSES:
        log.warning("Amili answered an action status we do not know; passed on as sent: %s", status[:50])
    reason = getattr(source, "amili_status_reason", None)
    # Passed on as sent, within the contract's bounds (an unknown value must not break the outcome).
    return AmiliStatus(status=status[:100], reason=reason[:500] if isinstance(reason, str) else None)


def record_size(key: bytes | None, value: bytes | None, headers: Headers) -> int:
    """What the producer will count this record as (kafka-python's estimate, plus the batch framing)."""
    from kafka.record.default_records import DefaultRecordBatchBuilder

    estimate = int(DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers))
    return estimate + _BATCH_OVERHEAD_BYTES


def bounded_dead_letter(
    key: bytes | None, value: bytes | None, headers: Headers, limit: int
) -> tuple[bytes | None, Headers]:
    """The dead letter's value and headers, cut so the record fits `limit` bytes (see the module docstring)."""
    if record_size(key, value, headers) <= limit:
        return value, headers
    original = len(value or b"")
    value = (value or b"")[:VALUE_EXCERPT_BYTES]
    headers = [*headers, (VALUE_TRUNCATED, str(original).encode())]
    if record_size(key, value, headers) <= limit:
        return value, headers
    own = [(n, v) for n, v in headers if n.startswith(PREFIX)]
    dropped = len(headers) - len(own)
    return value, [*own, (HEADERS_DROPPED, str(dropped).encode())]


class StuckPartitions:
    """Partitions holding a record that cannot be finished because the broker refuses its terminal state.

    Several records of one partition (other keys) may be held at once; the partition counts once and
    `/readyz` names its lowest held offset.
    """

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self._stuck: dict[tuple[str, str, int], dict[int, str]] = {}

    def mark(self, stream: str, record: Inbound, reason: str) -> None:
        self._stuck.setdefault((stream, record.topic, record.partition), {})[record.offset] = reason
        self._report(stream)

    def clear(self, stream: str, record: Inbound) -> None:
        held = self._stuck.get((stream, record.topic, record.partition), {})
        held.pop(record.offset, None)
        if not held:
            self._stuck.pop((stream, record.topic, record.partition), None)
        self._report(stream)

    async def hold(self, stream: str, record: Inbound, exc: PublishRefused) -> None:
        """The broker refuses what would finish `record`: hold it, visibly, until this task is cancelled.

        Retrying the same bytes cannot help, and finishing without them would lose the record; so the
        partition's commit point stays where it is (the next owner, or a restart once the topic or ACL is
        fixed, tries again), and the metric, `/readyz` and the stuck-partition alert say why. The task is
        cancelled when the partition is revoked or the worker drains.
        """
        reason = f"{exc.topic} refuses it ({type(exc.cause).__name__})"
        self.mark(stream, record, reason)
        log.error(
            "partition stuck: %s", reason, extra={"use_case": stream, "topic": record.topic, "offset": record.offset}
        )
        try:
            await asyncio.Event().wait()
        finally:
            self.clear(stream, record)

    def reasons(self) -> list[str]:
        reasons = []
        for (_, topic, partition), held in sorted(self._stuck.items()):
            offset = min(held)
            reasons.append(f"stuck {topic}/{partition} at offset {offset}: {held[offset]}")
        return reasons

    def _report(self, stream: str) -> None:
        count = sum(1 for s, _, _ in self._stuck if s == stream)
        self.metrics.stuck_partitions.labels(stream).set(count)


class TerminalPublisher:
    """Publishes outcomes and dead letters for the record handler."""

    def __init__(self, publisher: Publisher, metrics: Metrics) -> None:
        self.publisher = publisher
        self.metrics = metrics
        self.max_request_bytes = int(getattr(publisher, "max_request_bytes", DEFAULT_MAX_REQUEST_BYTES))

    async def outcome(
        self,
        use_case: str,
        topic: str,
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
        """Build and publish one outcome; returns its encoded value and headers (for the recent cache)."""
        outcome = build_outcome(
            envelope,
            use_case=use_case,
            status=status,
            amili_ids=dict(result.amili_ids) if result else None,
            case_url=case_url,
            errors=errors,
            detail={**(result.detail if result else {}), **(detail or {})},
            amili_status=amili_status,
        )
        value, headers = encode_event(outcome), event_headers(outcome)
        await self.publisher.publish(topic, record.key, value, headers, on_failure=self.failed)
        return value, headers

    async def dead_letter(
        self,
        route: Route,
        use_case: str,
        outcomes_topic: str,
        record: Inbound,
        exc: BaseException,
        budget: Budget,
        envelope: CloudEvent | None,
        *,
        outcome: CloudEvent | None = None,
    ) -> None:
        """The dead letter (to the stream's own dead-letter topic) and, where someone can be answered, an outcome."""
        now = time.time()
        attempts = counted_attempts(budget)
        headers = dead_letter_headers(
            original_headers=record.headers,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp_ms,
            consumer_group=route.group,
            use_case=use_case,
            attempts=attempts,
            first_failure=datetime.fromtimestamp(budget.first_failure or now, UTC),
            last_failure=datetime.fromtimestamp(budget.last_failure or now, UTC),
            error_class=error_class(exc),
            error_message=redact(str(exc)) or error_class(exc),
            http_status=getattr(exc, "status", None),
            response_excerpt=getattr(exc, "response_excerpt", None),
            redrive_count=redrive_count(record),
        )
        value, headers = bounded_dead_letter(record.key, record.value, headers, self.max_request_bytes)
        if value is not record.value:
            log.warning(
                "dead letter cut to fit the producer's request size (%d bytes)",
                self.max_request_bytes,
                extra={"use_case": use_case, "topic": record.topic, "offset": record.offset},
            )
        # The dead letter first: a `dead_lettered` outcome is only published once the dead letter is held.
        await self.publisher.publish(route.dead_letter_topic, record.key, value, headers, on_failure=self.failed)
        if outcome is None and envelope is not None:
            outcome = build_outcome(
                envelope,
                use_case=use_case,
                status="dead_lettered",
                errors=field_issues(exc),
                detail={"error_class": error_class(exc), "attempts": attempts},
                may_have_landed=budget.may_have_landed,
            )
        if outcome is not None:
            out_value, out_headers = encode_event(outcome), event_headers(outcome)
            await self.publisher.publish(outcomes_topic, record.key, out_value, out_headers, on_failure=self.failed)
        self.metrics.dead_letters.labels(use_case, error_class(exc)).inc()

    def failed(self, exc: BaseException) -> None:
        self.metrics.publish_failed(exc)


#: Set by `amili-fleet dlq redrive` on a re-published record: how often it has been redriven.
REDRIVE_COUNT_HEADER = "amili-fleet-redrive-count"


def redrive_count(record: Inbound) -> int:
    """How often this record was redriven (its `amili-fleet-redrive-count` header; 0 without one)."""
    for name, value in record.headers:
        if name == REDRIVE_COUNT_HEADER:
            try:
                return int(value.decode())
            except (ValueError, UnicodeDecodeError):
                return 0
    return 0
