"""Eve's collection query rules: `where` (Mongo operators, dot notation), `sort`, `projection`, paging.

`where` supports equality, $in $nin $gt $gte $lt $lte $ne $exists, $and $or, dot notation and list
fields (a list matches when any element does). As in MongoDB, `null` matches a missing field. A
string compared with a date field is read as RFC 1123. `max_results` above the limit is clamped
(Eve's behaviour); `_meta.max_results` reports the value used.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox import jsonio
from sandbox.dates import Rfc1123, parse_rfc1123
from sandbox.reading import DEFAULT_MAX_RESULTS, MAX_RESULTS_LIMIT

_MISSING = object()
_COMPARE = {"$gt", "$gte", "$lt", "$lte"}
_ALWAYS_PROJECTED = ("_id", "_created", "_updated", "_etag")
#: Deepest `where`/`projection` accepted: real filters nest a few levels; deeper is an attack or a bug.
_MAX_DEPTH = 16


class QueryError(ValueError):
    """A malformed query parameter; `param` names it (answered with 400)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message


@dataclass(frozen=True)
class Query:
    """A parsed list query."""

    where: Callable[[Mapping[str, Any]], bool] | None
    sort: list[tuple[str, bool]]
    projection: dict[str, int] | None
    page: int
    max_results: int


def parse_query(params: Mapping[str, str]) -> Query:
    """Parse `where`, `sort`, `projection`, `page` and `max_results` from query parameters."""
    where = _compile_where(_json_param(params, "where")) if params.get("where") else None
    projection = _parse_projection(_json_param(params, "projection")) if params.get("projection") else None
    return Query(
        where=where,
        sort=_parse_sort(params.get("sort", "")),
        projection=projection,
        page=_positive_int(params, "page", 1),
        max_results=min(_positive_int(params, "max_results", DEFAULT_MAX_RESULTS), MAX_RESULTS_LIMIT),
    )


def _json_param(params: Mapping[str, str], name: str) -> Any:
    try:
        value = jsonio.loads(params[name])
    except (ValueError, RecursionError) as exc:
        raise QueryError(name, "must be valid JSON") from exc
    if _depth(value) > _MAX_DEPTH:
        raise QueryError(name, f"nested deeper than {_MAX_DEPTH} levels")
    return value


def _depth(value: Any, level: int = 0) -> int:
    """How deeply a parsed JSON value nests (stops counting past the limit)."""
    if level > _MAX_DEPTH or not isinstance(value, dict | list):
        return level
    children = value.values() if isinstance(value, dict) else value
    return max((_depth(child, level + 1) for child in children), default=level + 1)


def _positive_int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise QueryError(name, "must be a positive integer")
    return int(raw)


def _parse_sort(raw: str) -> list[tuple[str, bool]]:
    """`-_created,name` -> [("_created", True), ("name", False)]; Eve's list form `[("f", -1)]` too."""
    raw = raw.strip()
    if not raw:
        return []
    if raw.startswith("["):
        try:
            pairs = jsonio.loads(raw.replace("(", "[").replace(")", "]"))
            return [(str(field), int(direction) < 0) for field, direction in pairs]
        except (ValueError, TypeError) as exc:
            raise QueryError("sort", "must be '-field,field' or [[\"field\", -1]]") from exc
    out = []
    for part in raw.split(","):
        part = part.strip()
        field = part.lstrip("-")
        if not field:
            raise QueryError("sort", "empty field name")
        out.append((field, part.startswith("-")))
    return out


def _parse_projection(spec: Any) -> dict[str, int]:
    if not isinstance(spec, dict) or not spec:
        raise QueryError("projection", "must be a non-empty JSON object of field: 0|1")
    values = set()
    for field, flag in spec.items():
        if flag not in (0, 1) or isinstance(flag, bool):
            raise QueryError("projection", f"{field}: must be 0 or 1")
        values.add(int(flag))
    if len(values) > 1:
        raise QueryError("projection", "cannot mix inclusion and exclusion")
    return {str(k): int(v) for k, v in spec.items()}


def lookup(doc: Any, path: str) -> Any:
    """The value at a dotted path, `_MISSING` when absent; a list in the path fans out."""
    value = doc
    for part in path.split("."):
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list):
            if part.isdigit():
                value = value[int(part)] if int(part) < len(value) else _MISSING
            else:
                value = [v.get(part, _MISSING) for v in value if isinstance(v, Mapping)]
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def _compile_where(spec: Any) -> Callable[[Mapping[str, Any]], bool]:
    if not isinstance(spec, dict):
        raise QueryError("where", "must be a JSON object")
    tests: list[Callable[[Mapping[str, Any]], bool]] = []
    for key, cond in spec.items():
        if key in ("$and", "$or"):
            if not isinstance(cond, list) or not cond:
                raise QueryError("where", f"{key} takes a non-empty list")
            parts = [_compile_where(c) for c in cond]
            tests.append(_all(parts) if key == "$and" else _any(parts))
        elif key.startswith("$"):
            raise QueryError("where", f"unsupported operator {key}")
        else:
            tests.append(_field_test(key, cond))
    return _all(tests)


def _all(tests: list[Callable[[Mapping[str, Any]], bool]]) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: all(t(doc) for t in tests)


def _any(tests: list[Callable[[Mapping[str, Any]], bool]]) -> Callable[[Mapping[str, Any]], bool]:
    return lambda doc: any(t(doc) for t in tests)


def _field_test(path: str, cond: Any) -> Callable[[Mapping[str, Any]], bool]:
    if isinstance(cond, dict) and cond and all(str(k).startswith("$") for k in cond):
        ops = [_operator(op, operand) for op, operand in cond.items()]
        return lambda doc: all(op(lookup(doc, path)) for op in ops)
    return lambda doc: _equals(lookup(doc, path), cond)


def _operator(op: str, operand: Any) -> Callable[[Any], bool]:
    if op in ("$in", "$nin"):
        if not isinstance(operand, list):
            raise QueryError("where", f"{op} takes a list")
        if op == "$in":
            return lambda v: any(_equals(v, o) for o in operand)
        return lambda v: not any(_equals(v, o) for o in operand)
    if op == "$ne":
        return lambda v: not _equals(v, operand)
    if op == "$exists":
        wanted = bool(operand)
        return lambda v: (v is not _MISSING) == wanted
    if op in _COMPARE:
        if not isinstance(operand, str | int | Decimal) or isinstance(operand, bool):
            raise QueryError("where", f"{op} takes a number, a string or an RFC 1123 date")
        return lambda v: _compare(op, v, operand)
    raise QueryError("where", f"unsupported operator {op}")


def _coerce(value: Any, operand: Any) -> tuple[Any, Any] | None:
    """Both sides as comparable values, or None when they cannot be compared."""
    if isinstance(value, Rfc1123) and isinstance(operand, str):
        try:
            return value.dt, parse_rfc1123(operand)
        except ValueError:
            return None
    if isinstance(value, bool) or isinstance(operand, bool):
        return (value, operand) if isinstance(value, bool) and isinstance(operand, bool) else None
    if isinstance(value, int | Decimal) and isinstance(operand, int | Decimal):
        return value, operand
    if isinstance(value, str) and isinstance(operand, str):
        return value, operand
    return None


def _equals(value: Any, operand: Any) -> bool:
    if operand is None:
        return value is _MISSING or value is None
    if isinstance(value, list) and not isinstance(operand, list):
        return any(_equals(v, operand) for v in value)
    pair = _coerce(value, operand)
    if pair is None:
        return bool(value == operand) if isinstance(value, dict | list) else False
    return bool(pair[0] == pair[1])


def _compare(op: str, value: Any, operand: Any) -> bool:
    if isinstance(value, list):
        return any(_compare(op, v, operand) for v in value)
    pair = _coerce(value, operand)
    if pair is None:
        return False
    left, right = pair
    if op == "$gt":
        return bool(left > right)
    if op == "$gte":
        return bool(left >= right)
    if op == "$lt":
        return bool(left < right)
    return bool(left <= right)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Order: missing/null, then numbers, strings, dates, booleans (as MongoDB groups types)."""
    if value is _MISSING or value is None:
        return (0, 0)
    if isinstance(value, Rfc1123):
        return (3, value.dt)
    if isinstance(value, bool):
        return (4, value)
    if isinstance(value, int | Decimal):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, datetime):
        return (3, value)
    return (5, str(value))


def apply(query: Query, docs: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], int]:
    """Filter, sort and page `docs`; returns (the page, projected; the total before paging)."""
    matched = [d for d in docs if query.where(d)] if query.where else list(docs)
    for field, descending in reversed(query.sort):
        matched.sort(key=lambda d, f=field: _sort_key(lookup(d, f)), reverse=descending)  # type: ignore[misc]
    start = (query.page - 1) * query.max_results
    page = matched[start : start + query.max_results]
    if query.projection:
        page = [project(d, query.projection) for d in page]
    return page, len(matched)


def project(doc: Mapping[str, Any], projection: dict[str, int]) -> dict[str, Any]:
    """Apply an include (1) or exclude (0) projection with dot notation."""
    if next(iter(projection.values())) == 0:
        out = dict(doc)
        for path in projection:
            _drop(out, path.split("."))
        return out
    kept: dict[str, Any] = {k: doc[k] for k in _ALWAYS_PROJECTED if k in doc}
    for path in projection:
        _copy(doc, kept, path.split("."))
    return kept


def _drop(doc: dict[str, Any], parts: list[str]) -> None:
    if len(parts) == 1:
        doc.pop(parts[0], None)
    elif isinstance(doc.get(parts[0]), dict):
        doc[parts[0]] = dict(doc[parts[0]])
        _drop(doc[parts[0]], parts[1:])


def _copy(src: Mapping[str, Any], dst: dict[str, Any], parts: list[str]) -> None:
    if parts[0] not in src:
        return
    if len(parts) == 1:
        dst[parts[0]] = src[parts[0]]
    elif isinstance(src[parts[0]], Mapping):
        child = dst.setdefault(parts[0], {})
        if isinstance(child, dict):
            _copy(src[parts[0]], child, parts[1:])
