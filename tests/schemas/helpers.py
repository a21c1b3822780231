"""Helpers for schema tests: example data with one field changed, and the first issue of a failure."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ValidationError

from schemas.catalog import EVENT_TYPES, USE_CASES
from schemas.errors import FieldIssue, issues_from_validation
from schemas.samples import example_json

DELETE = object()


def example_data(use_case: str) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(example_json(USE_CASES[use_case].event_type)["data"])
    return data


def changed(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of `data` with the dotted `path` set to `value` (or removed with DELETE)."""
    out = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return out


def first_issue(model: type[BaseModel], data: dict[str, Any]) -> FieldIssue | None:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return issues_from_validation(exc, "data")[0]
    return None


def model_of(event_type: str) -> type[BaseModel]:
    return EVENT_TYPES[event_type]
