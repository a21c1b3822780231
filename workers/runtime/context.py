"""What a use case receives besides its event (`Context`) and what it returns on success (`Succeeded`).

A use case never touches Kafka, retries, metrics or logs: the runtime decides, for instance, whether
this attempt must look the natural key up before writing (`ctx.reconcile`), and the use case obeys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from schemas.identity import event_identity


@dataclass(frozen=True)
class Context:
    """Per-attempt context handed to a use case.

    Parameters:
        use_case: the use case's name.
        envelope: the CloudEvents envelope of the inbound event (id, source, correlation id ...).
        reconcile: look the natural key up before any write; the earlier attempt, or the partition's
            previous owner, may already have applied it.
        attempt: 1 for the first attempt of this record in this process.
        amili: the creditor-API client (None for a use case that needs none).
        partner_amili: the partner-API client (partner use cases only).
        documents: the claim-check fetcher (`workers.runtime.claim_check.DocumentFetcher`), built once
            from its settings by the runtime; None where no document is fetched.
    """

    use_case: str
    envelope: Any
    reconcile: bool
    attempt: int
    amili: Any = None
    partner_amili: Any = None
    documents: Any = None

    @property
    def event_identity(self) -> str:
        """The event's `(source, id)` as one stable digest (`schemas.identity`): the natural key every
        Amili write derived from this event is registered and looked up under."""
        return event_identity(self.envelope.source, self.envelope.id)


@dataclass(frozen=True)
class Succeeded:
    """A use case's success: the Amili ids it touched, the case (for the deep link), free detail, and
    Amili's own processing status of the action with its reason (carried into the outcome's
    `amili_status`, so a `warning` reaches the producer)."""

    amili_ids: Mapping[str, str] = field(default_factory=dict)
    case_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    amili_status: str | None = None
    amili_status_reason: str | None = None
