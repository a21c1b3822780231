"""Request-body validation with Eve's field issues, from one small declarative schema per resource.

A schema is a dict of `Field`s. `validate` returns the cleaned document (dates as `Rfc1123`, money
as Decimal) and `{dotted.field: message}` issues; `json_schema` turns the same schema into the
OpenAPI request body, so the published contract and the checks never drift apart. Unknown fields
are rejected, as Eve does by default: a client typo shows up here instead of on the real API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sandbox.dates import Rfc1123, parse_rfc1123

_OBJECT_ID = re.compile(r"^[0-9a-f]{24}$")


@dataclass(frozen=True)
class Field:
    """One field: its kind and constraints. kind: string|number|integer|boolean|date|id|object|list|any."""

    kind: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    fields: dict[str, Field] | None = None
    items: Field | None = None
    positive: bool = False
    min_items: int = 0
    max_length: int = 1000
    nullable: bool = False


Schema = dict[str, Field]


def validate(schema: Schema, body: Any, *, partial: bool = False) -> tuple[dict[str, Any], dict[str, str]]:
    """Check `body` against `schema`; `partial` (PATCH) skips the required checks."""
    issues: dict[str, str] = {}
    if not isinstance(body, dict):
        return {}, {"body": "must be a JSON object"}
    clean = _object(schema, body, "", issues, partial)
    return clean, issues


def _object(schema: Schema, body: dict[str, Any], prefix: str, issues: dict[str, str], partial: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name in body:
        if name not in schema:
            issues[prefix + str(name)] = "unknown field"
    for name, spec in schema.items():
        if name not in body:
            if spec.required and not partial:
                issues[prefix + name] = "required field"
            continue
        value = _value(spec, body[name], prefix + name, issues, partial)
        if value is not _INVALID:
            clean[name] = value
    return clean


_INVALID = object()
_MAX_ANY_DEPTH = 8


def _depth(value: Any, level: int = 0) -> int:
    if level > _MAX_ANY_DEPTH or not isinstance(value, dict | list):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level + 1)


def _value(spec: Field, value: Any, path: str, issues: dict[str, str], partial: bool) -> Any:
    if value is None:
        if spec.nullable:
            return None
        issues[path] = "null value not allowed"
        return _INVALID
    kind = spec.kind
    if kind == "any":
        if _depth(value) > _MAX_ANY_DEPTH:  # free-form values are stored and served again: keep them sane
            issues[path] = f"nested deeper than {_MAX_ANY_DEPTH} levels"
            return _INVALID
        return value
    if kind in ("string", "id", "date"):
        if not isinstance(value, str):
            issues[path] = "must be of string type"
            return _INVALID
        if len(value) > spec.max_length:
            issues[path] = f"max length is {spec.max_length}"
            return _INVALID
        if kind == "id" and not _OBJECT_ID.match(value):
            issues[path] = "must be a 24-character hex id"
            return _INVALID
        if kind == "date":
            try:
                return Rfc1123(parse_rfc1123(value))
            except ValueError as exc:
                issues[path] = str(exc)
                return _INVALID
        if spec.allowed is not None and value not in spec.allowed:
            issues[path] = f"unallowed value {value!r}; allowed: {', '.join(spec.allowed)}"
            return _INVALID
        if spec.required and not value.strip():
            issues[path] = "empty values not allowed"
            return _INVALID
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            issues[path] = "must be of boolean type"
            return _INVALID
        return value
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            issues[path] = f"must be of {kind} type"
            return _INVALID
        if kind == "integer" and not isinstance(value, int):
            issues[path] = "must be of integer type"
            return _INVALID
        number = Decimal(value)
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            issues[path] = "number out of range"
            return _INVALID
        if spec.positive and number <= 0:
            issues[path] = "must be greater than 0"
            return _INVALID
        return number if kind == "number" else value
    if kind == "object":
        if not isinstance(value, dict):
            issues[path] = "must be of dict type"
            return _INVALID
        return _object(spec.fields or {}, value, path + ".", issues, partial)
    if kind == "list":
        if not isinstance(value, list):
            issues[path] = "must be of list type"
            return _INVALID
        if len(value) < spec.min_items:
            issues[path] = f"min length is {spec.min_items}"
            return _INVALID
        item_spec = spec.items or Field("any")
        out = [_value(item_spec, item, f"{path}.{i}", issues, partial) for i, item in enumerate(value)]
        return [item for item in out if item is not _INVALID]
    raise AssertionError(f"unknown field kind {kind}")


def json_schema(schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    """The JSON Schema of a request body (for the OpenAPI document and schemathesis); `partial` for PATCH."""
    return {
        "type": "object",
        "properties": {name: _field_schema(spec) for name, spec in schema.items()},
        "required": [] if partial else [name for name, spec in schema.items() if spec.required],
        "additionalProperties": False,
    }


def _field_schema(spec: Field) -> dict[str, Any]:
    out: dict[str, Any]
    if spec.kind == "object":
        out = json_schema(spec.fields or {})
    elif spec.kind == "list":
        out = {"type": "array", "items": _field_schema(spec.items or Field("any")), "minItems": spec.min_items}
    elif spec.kind == "id":
        out = {"type": "string", "pattern": "^[0-9a-f]{24}$"}
    elif spec.kind == "date":
        out = {"type": "string", "example": "Mon, 16 Jun 2025 00:00:00 GMT"}
    elif spec.kind == "string":
        out = {"type": "string", "maxLength": spec.max_length}
        if spec.allowed:
            out["enum"] = list(spec.allowed)
    elif spec.kind == "any":
        out = {}
    else:
        out = {"type": spec.kind}
    if spec.nullable:
        out = {"anyOf": [out, {"type": "null"}]}
    return out
