"""Outcome events: what happened to every inbound event (succeeded, rejected, dead_lettered).

An outcome's id is a UUIDv5 over the source event's source, id and the outcome type, so a worker
that processes an event twice publishes the same outcome id twice and consumers can drop the copy.
`causationid` is the source event id; `correlationid` is carried over (or starts at the source id).

`amili_status` carries Amili's own processing answer for payments, creditings, cancellations and
respites (`completed`, `warning` with its reason, or `error` on a rejection), so a warning reaches the
producer. `may_have_landed` on a dead-lettered outcome says that a write may have reached Amili before
the last failure (a timeout or a dropped connection): look in Amili before sending the fact again.

A record whose envelope cannot be read at all (not JSON, no id) still gets its `dead_lettered` outcome:
`record` names it by topic, partition, offset and key, and `source_event` is synthetic
(`source` `urn:amili-fleet:record:<topic>`, `id` `<partition>:<offset>`, `type` `unreadable`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import Field

from schemas.common import Model
from schemas.envelope import CloudEvent, data_to_json
from schemas.errors import FieldIssue
from schemas.types import Reference

OutcomeStatus = Literal["succeeded", "rejected", "dead_lettered"]
#: Outcome event types, one per status.
OUTCOME_TYPES: Final[dict[str, str]] = {
    "succeeded": "se.amili-fleet.outcome.succeeded.v1",
    "rejected": "se.amili-fleet.outcome.rejected.v1",
    "dead_lettered": "se.amili-fleet.outcome.dead-lettered.v1",
}
#: Namespace of the deterministic outcome ids (a fixed, random UUID: never change it).
OUTCOME_NAMESPACE: Final = uuid.UUID("5d0f6c1e-8f7a-4a43-9a55-2b4f3e8c7d21")
DEFAULT_SOURCE: Final = "urn:amili-fleet"


class SourceEvent(Model):
    id: str
    type: str
    source: str


#: `source_event.type` of an outcome for a record without a readable envelope.
UNREADABLE_TYPE: Final = "unreadable"


class RecordPosition(Model):
    """Where a record sat on the broker: what identifies it when its envelope cannot be read."""

    topic: str = Field(max_length=249)
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    key: str | None = Field(default=None, max_length=200, description="The record key as text (cut to 200).")


class AmiliStatus(Model):
    """Amili's processing answer for a creditor action, as it sent it."""

    status: str = Field(
        max_length=100, description="completed, warning or error (Amili's values; an unknown one is passed on)."
    )
    reason: str | None = Field(
        default=None, max_length=500, description="Amili's status_reason_locale: a locale key naming the reason."
    )


class Outcome(Model):
    """The data of every outcome event."""

    use_case: Reference
    status: OutcomeStatus
    source_event: SourceEvent
    amili_ids: dict[str, str | list[str]] = Field(
        default_factory=dict, description="Amili ids touched, e.g. {'case': '...', 'invoice_registration': '...'}."
    )
    case_url: str | None = Field(default=None, max_length=500, description="Deep link into the Amili App.")
    errors: list[FieldIssue] = Field(default_factory=list, description="Field-level errors (rejected, dead_lettered).")
    detail: dict[str, Any] = Field(default_factory=dict, description="Use-case specific facts, e.g. a case status.")
    amili_status: AmiliStatus | None = Field(
        default=None, description="Amili's processing status of an action (payment, credit, cancellation, respite)."
    )
    may_have_landed: bool = Field(
        default=False,
        description="dead_lettered only: a write may have reached Amili before the last failure (a timeout or a "
        "dropped connection); check Amili before sending the fact again under a new event id.",
    )
    record: RecordPosition | None = Field(
        default=None, description="dead_lettered only: the inbound record's topic, partition, offset and key."
    )


def outcome_id(source: CloudEvent, status: OutcomeStatus) -> str:
    """Deterministic: the same source event and status always give the same outcome id."""
    return str(uuid.uuid5(OUTCOME_NAMESPACE, f"{source.source}\n{source.id}\n{OUTCOME_TYPES[status]}"))


def build_outcome(
    source: CloudEvent,
    *,
    use_case: str,
    status: OutcomeStatus,
    amili_ids: Mapping[str, str | list[str]] | None = None,
    case_url: str | None = None,
    errors: Sequence[FieldIssue] | None = None,
    detail: Mapping[str, Any] | None = None,
    amili_status: AmiliStatus | None = None,
    may_have_landed: bool = False,
    record: RecordPosition | None = None,
    source_uri: str = DEFAULT_SOURCE,
    time: datetime | None = None,
) -> CloudEvent:
    """The outcome event for `source` (publish it to OUTCOMES_TOPIC with the source record's key)."""
    data = Outcome(
        use_case=use_case,
        status=status,
        source_event=SourceEvent(id=source.id, type=source.type, source=source.source),
        amili_ids=dict(amili_ids or {}),
        case_url=case_url,
        errors=list(errors or ()),
        detail=dict(detail or {}),
        amili_status=amili_status,
        may_have_landed=may_have_landed,
        record=record,
    )
    return CloudEvent(
        id=outcome_id(source, status),
        source=source_uri,
        type=OUTCOME_TYPES[status],
        subject=source.subject,
        time=time or datetime.now(UTC),
        correlationid=source.correlationid or source.id,
        causationid=source.id,
        data=data_to_json(data),
    )


def outcome_for_undecodable(
    value: bytes | None,
    headers: Sequence[tuple[str, bytes | None]],
    *,
    use_case: str,
    error: Exception,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
    key: bytes | None = None,
    source_uri: str = DEFAULT_SOURCE,
) -> CloudEvent | None:
    """A `dead_lettered` outcome for a record that broke the contract.

    With a readable envelope the outcome answers that event. Without one (not JSON, no id) the record is
    named by its position: `record` and a synthetic `source_event` (see the module docstring). Only
    without an envelope and without a position is there nobody to answer: then None, and the dead
    letter alone records the failure. `error` is usually the ContractError from decode_event.
    """
    from schemas.codec import parse_envelope  # the codec imports the catalog, which imports this module
    from schemas.errors import ContractError

    position = None
    if topic is not None and partition is not None and offset is not None:
        text = key.decode("utf-8", errors="replace")[:200] if key is not None else None
        position = RecordPosition(topic=topic, partition=partition, offset=offset, key=text)
    issues = error.errors if isinstance(error, ContractError) else []
    detail = {k: v for k, v in (("topic", topic), ("partition", partition), ("offset", offset)) if v is not None}
    try:
        envelope, _ = parse_envelope(value, headers)
    except ContractError:
        if position is None:
            return None
        envelope = CloudEvent(
            id=f"{position.partition}:{position.offset}",
            source=f"urn:amili-fleet:record:{position.topic}",
            type=UNREADABLE_TYPE,
        )
    return build_outcome(
        envelope,
        use_case=use_case,
        status="dead_lettered",
        errors=issues,
        detail=detail,
        record=position,
        source_uri=source_uri,
    )
