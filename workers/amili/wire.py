"""Python values to Amili's wire format: the one place dates become RFC 1123 and bodies become bytes.

Amounts stay Decimal all the way into `schemas.jsonio.dumps`, which writes their exact digits, so
money never passes through float.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import BaseModel

from schemas import jsonio
from workers.amili.dates import rfc1123


def to_wire(value: Any) -> Any:
    """Recursively: models to dicts (unset/None fields left out), dates to RFC 1123 strings."""
    if isinstance(value, BaseModel):
        return to_wire(value.model_dump(by_alias=True, exclude_none=True))
    if isinstance(value, date):  # datetime is a date too
        return rfc1123(value)
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


def body_bytes(value: BaseModel | Mapping[str, Any]) -> bytes:
    """A request body as JSON bytes in Amili's wire format."""
    return jsonio.dumps(to_wire(value))
