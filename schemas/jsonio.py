"""JSON in and out with exact money: Decimal values are written as JSON numbers and read back as Decimal.

Amili takes amounts as JSON numbers in kronor (`250.0`), but a float cannot hold every öre exactly.
orjson has no Decimal support, so each Decimal is written as a marked string and the marks are then
stripped from the finished bytes; reading uses the standard library with `parse_float=Decimal`.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

import orjson

# A per-process nonce behind a control character (which orjson escapes): real text cannot collide.
_NONCE = secrets.token_hex(8)
_MARK = f"\u0001{_NONCE}:"
_MARKED = re.compile(rb'"\\u0001' + _NONCE.encode() + rb':(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"')


def _mark_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot write a non-finite amount as JSON: {value}")
        return _MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _mark_decimals(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark_decimals(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """Serialise to JSON bytes; Decimal becomes a JSON number with its exact digits."""
    return _MARKED.sub(rb"\1", orjson.dumps(_mark_decimals(value)))


def loads(data: bytes | str) -> Any:
    """Parse JSON; every number with a fraction or exponent becomes a Decimal (never a float)."""
    return json.loads(data, parse_float=Decimal)
