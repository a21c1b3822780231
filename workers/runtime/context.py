"""What a use case receives besides its event (`Context`) and what it returns on success (`Succeeded`).

A use case never touches Kafka, retries, metrics or logs: the runtime decides, for instance, whether
this attempt must look the natural key up before writing (`ctx.reconcile`), and the use case obeys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


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
    """

    use_case: str
    envelope: Any
    reconcile: bool
    attempt: int
    amili: Any = None
    partner_amili: Any = None


@dataclass(frozen=True)
class Succeeded:
    """A use case's success: the Amili ids it touched, the case (for the deep link) and free detail."""

    amili_ids: Mapping[str, str] = field(default_factory=dict)
    case_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
