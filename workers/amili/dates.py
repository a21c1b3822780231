"""RFC 1123 dates, the one format Amili exchanges ("Mon, 16 Jun 2025 00:00:00 GMT", reference 2.6).

`rfc1123` is the single helper every request body and query goes through; `parse_amili_date`
reads Amili's dates back (and tolerates ISO 8601, which some documented examples show).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from email.utils import format_datetime, parsedate_to_datetime


def rfc1123(value: date | datetime) -> str:
    """Format a date or datetime as RFC 1123 in GMT; a plain date means midnight UTC, naive means UTC."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(), tzinfo=UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_datetime(value.astimezone(UTC), usegmt=True)


def parse_amili_date(value: str) -> datetime:
    """Parse an RFC 1123 (or ISO 8601) date into an aware UTC datetime; ValueError if it is neither."""
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(f"not an RFC 1123 or ISO 8601 date: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
