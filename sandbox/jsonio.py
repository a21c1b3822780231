"""JSON for the simulated API: amounts are Decimal on the way in and exact JSON numbers on the way out.

Amili exchanges amounts as JSON numbers in kronor. Reading keeps every fraction as a Decimal
(`parse_float=Decimal`, never a float); writing hands each Decimal to orjson as an already
serialised fragment of its exact digits, so `Decimal("250.10")` goes out as `250.10`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson


def _fragment(value: Any) -> orjson.Fragment:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise TypeError(f"an amount must be finite, got {value}")
        return orjson.Fragment(format(value, "f"))
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(value: Any) -> bytes:
    """JSON bytes; a Decimal becomes a JSON number with exactly its digits."""
    return orjson.dumps(value, default=_fragment)


def loads(data: bytes | str) -> Any:
    """Parse JSON; a number with a fraction or an exponent becomes a Decimal."""
    return json.loads(data, parse_float=Decimal)
