"""The dead-letter record contract: the original key, value and headers, untouched, plus `dlq.*` headers.

A dead letter of topic T goes to `T.dlq` (see `schemas.catalog.dead_letter_topic`). All added header
values are UTF-8 text: numbers in decimal, times in RFC 3339 UTC. Headers of an earlier dead-lettering
(a redriven record that failed again) are replaced, not repeated; `dlq.redrive_count` counts redrives.
Error messages and response excerpts are truncated; they must not contain personal data (the runtime's
error classes and the Amili client's excerpts are already redacted).

A dead letter is always publishable: when the original would not fit the producer's request size, the
value is cut to its first `VALUE_EXCERPT_BYTES` and `dlq.value_truncated` gives the original's size in
bytes (the original stays at its topic, partition and offset, for as long as the topic keeps it); when
even the headers do not fit, the original headers are left out and `dlq.headers_dropped` says how many.
A truncated dead letter cannot be redriven as is: it no longer holds the original record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from schemas.envelope import format_time
from schemas.errors import ContractError

PREFIX: Final = "dlq."
ORIGINAL_TOPIC: Final = "dlq.original_topic"
ORIGINAL_PARTITION: Final = "dlq.original_partition"
ORIGINAL_OFFSET: Final = "dlq.original_offset"
ORIGINAL_TIMESTAMP: Final = "dlq.original_timestamp_ms"
CONSUMER_GROUP: Final = "dlq.consumer_group"
USE_CASE: Final = "dlq.use_case"
ATTEMPTS: Final = "dlq.attempts"
FIRST_FAILURE: Final = "dlq.first_failure"
LAST_FAILURE: Final = "dlq.last_failure"
ERROR_CLASS: Final = "dlq.error_class"
ERROR_MESSAGE: Final = "dlq.error_message"
HTTP_STATUS: Final = "dlq.http_status"
RESPONSE_EXCERPT: Final = "dlq.response_excerpt"
REDRIVE_COUNT: Final = "dlq.redrive_count"
VALUE_TRUNCATED: Final = "dlq.value_truncated"
HEADERS_DROPPED: Final = "dlq.headers_dropped"
#: How much of an oversized original a dead letter keeps.
VALUE_EXCERPT_BYTES: Final = 4096
#: Every header a dead letter always carries (the rest are optional).
REQUIRED: Final = (
    ORIGINAL_TOPIC,
    ORIGINAL_PARTITION,
    ORIGINAL_OFFSET,
    ORIGINAL_TIMESTAMP,
    CONSUMER_GROUP,
    USE_CASE,
    ATTEMPTS,
    FIRST_FAILURE,
    LAST_FAILURE,
    ERROR_CLASS,
    ERROR_MESSAGE,
    REDRIVE_COUNT,
)
MAX_ERROR_MESSAGE: Final = 1000
MAX_RESPONSE_EXCERPT: Final = 2000

Headers = Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True)
class DeadLetterInfo:
    """What the `dlq.*` headers say, plus the original headers (without them)."""

    original_topic: str
    original_partition: int
    original_offset: int
    original_timestamp_ms: int
    consumer_group: str
    use_case: str
    attempts: int
    first_failure: datetime
    last_failure: datetime
    error_class: str
    error_message: str
    http_status: int | None
    response_excerpt: str | None
    redrive_count: int
    original_headers: list[tuple[str, bytes]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def original_headers(headers: Headers) -> list[tuple[str, bytes]]:
    """The record's headers without any `dlq.*` header (what a redrive re-publishes)."""
    return [(name, value or b"") for name, value in headers if not name.startswith(PREFIX)]


def dead_letter_headers(
    *,
    original_headers: Headers,
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int,
    consumer_group: str,
    use_case: str,
    attempts: int,
    first_failure: datetime,
    last_failure: datetime,
    error_class: str,
    error_message: str,
    http_status: int | None = None,
    response_excerpt: str | None = None,
    redrive_count: int = 0,
) -> list[tuple[str, bytes]]:
    """The headers of a dead letter: the original ones (in order) followed by the `dlq.*` ones."""
    kept = [(name, value or b"") for name, value in original_headers if not name.startswith(PREFIX)]
    added = {
        ORIGINAL_TOPIC: topic,
        ORIGINAL_PARTITION: str(partition),
        ORIGINAL_OFFSET: str(offset),
        ORIGINAL_TIMESTAMP: str(timestamp_ms),
        CONSUMER_GROUP: consumer_group,
        USE_CASE: use_case,
        ATTEMPTS: str(attempts),
        FIRST_FAILURE: format_time(first_failure),
        LAST_FAILURE: format_time(last_failure),
        ERROR_CLASS: error_class,
        ERROR_MESSAGE: _clip(error_message, MAX_ERROR_MESSAGE),
        REDRIVE_COUNT: str(redrive_count),
    }
    if http_status is not None:
        added[HTTP_STATUS] = str(http_status)
    if response_excerpt is not None:
        added[RESPONSE_EXCERPT] = _clip(response_excerpt, MAX_RESPONSE_EXCERPT)
    return kept + [(name, value.encode("utf-8")) for name, value in added.items()]


def read_dead_letter(headers: Headers) -> DeadLetterInfo:
    """Parse the `dlq.*` headers back; raises ContractError naming the missing or malformed header."""
    found: dict[str, str] = {}
    for name, value in headers:
        if name.startswith(PREFIX) and name not in found:
            found[name] = (value or b"").decode("utf-8", errors="replace")
    for name in REQUIRED:
        if name not in found:
            raise ContractError.single(name, "required", "a dead letter carries this header")

    def number(name: str) -> int:
        try:
            return int(found[name])
        except ValueError:
            raise ContractError.single(name, "format", "must be a decimal integer") from None

    def moment(name: str) -> datetime:
        try:
            return datetime.fromisoformat(found[name])
        except ValueError:
            raise ContractError.single(name, "format", "must be an RFC 3339 time") from None

    return DeadLetterInfo(
        original_topic=found[ORIGINAL_TOPIC],
        original_partition=number(ORIGINAL_PARTITION),
        original_offset=number(ORIGINAL_OFFSET),
        original_timestamp_ms=number(ORIGINAL_TIMESTAMP),
        consumer_group=found[CONSUMER_GROUP],
        use_case=found[USE_CASE],
        attempts=number(ATTEMPTS),
        first_failure=moment(FIRST_FAILURE),
        last_failure=moment(LAST_FAILURE),
        error_class=found[ERROR_CLASS],
        error_message=found[ERROR_MESSAGE],
        http_status=number(HTTP_STATUS) if HTTP_STATUS in found else None,
        response_excerpt=found.get(RESPONSE_EXCERPT),
        redrive_count=number(REDRIVE_COUNT),
        original_headers=original_headers(headers),
    )
