"""RFC 1123 dates and Mongo-style ids, the two shapes every Amili document carries.

Dates are stored as `Rfc1123`, a `str` that also remembers its datetime: it goes out on the wire
as the plain string (orjson writes str subclasses as strings, so no conversion walk per response)
and the query engine compares it as a date through `.dt`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_FORMAT = "%a, %d %b %Y %H:%M:%S GMT"


class Rfc1123(str):
    """An RFC 1123 GMT date string that carries its parsed `dt` (UTC, whole seconds)."""

    dt: datetime

    def __new__(cls, moment: datetime) -> Rfc1123:
        moment = moment.astimezone(UTC).replace(microsecond=0)
        text = super().__new__(cls, moment.strftime(_FORMAT))
        text.dt = moment
        return text


def parse_rfc1123(text: str) -> datetime:
    """Parse an RFC 1123 date ("Mon, 16 Jun 2025 00:00:00 GMT"); ValueError when it is not one."""
    if not isinstance(text, str) or not text.endswith(" GMT") or "," not in text:
        raise ValueError("must be an RFC 1123 date such as 'Mon, 16 Jun 2025 00:00:00 GMT'")
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError("must be an RFC 1123 date such as 'Mon, 16 Jun 2025 00:00:00 GMT'") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class IdFactory:
    """24-hex ids, deterministic per seed: the same seed and the same calls give the same ids."""

    def __init__(self, seed: int) -> None:
        self._prefix = f"{(0x65000000 + seed) & 0xFFFFFFFF:08x}"
        self._count = 0

    def new(self) -> str:
        self._count += 1
        return f"{self._prefix}{self._count:016x}"
