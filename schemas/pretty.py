"""Human-readable JSON with exact amounts, for the checked-in examples and generated documents.

`schemas.jsonio.dumps` writes compact bytes for Kafka; documents in the repository are indented so
diffs stay readable. Decimals are written with their exact digits, as in jsonio.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

_MARK = "\u0002decimal:"
_MARKED = re.compile(r'"\\u0002decimal:(-?[0-9.]+)"')


def _mark(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _mark(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mark(v) for v in value]
    return value


def pretty_json(value: Any) -> str:
    """Indented JSON text ending in a newline; Decimal values become exact JSON numbers."""
    return _MARKED.sub(r"\1", json.dumps(_mark(value), indent=2, ensure_ascii=False)) + "\n"
