"""Contract errors: every broken rule names the field (a dotted path) and a short, stable rule name.

Messages never contain the offending value: a personnummer or an e-mail address must not reach a log
line through an error message. pydantic's own messages describe the rule, not the input, and the
input itself (`input` in pydantic's error dicts) is deliberately dropped here.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

#: pydantic's built-in error types -> our stable rule names (anything else keeps pydantic's type).
_RULES: dict[str, str] = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "max_length",
    "string_too_short": "min_length",
    "too_long": "max_items",
    "too_short": "min_items",
    "string_pattern_mismatch": "format",
    "literal_error": "enum",
    "date_from_datetime_parsing": "date",
    "date_parsing": "date",
    "date_type": "date",
    "datetime_parsing": "datetime",
    "datetime_type": "datetime",
    "timezone_aware": "datetime",
    "greater_than": "min_value",
    "greater_than_equal": "min_value",
    "less_than": "max_value",
    "less_than_equal": "max_value",
}


class FieldIssue(BaseModel):
    """One broken rule: `field` is a dotted path ('data.lines.0.unit_price'), `rule` a stable name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    field: str
    rule: str
    message: str


class ContractError(ValueError):
    """A record that breaks the contract; `field`, `rule` and `message` describe the first issue."""

    def __init__(self, issues: Sequence[FieldIssue]) -> None:
        if not issues:
            raise ValueError("a ContractError needs at least one issue")
        self.errors: list[FieldIssue] = list(issues)
        first = self.errors[0]
        self.field: str = first.field
        self.rule: str = first.rule
        self.message: str = first.message
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(f"{first.field}: {first.message} [{first.rule}]{more}")

    @classmethod
    def single(cls, field: str, rule: str, message: str) -> ContractError:
        return cls([FieldIssue(field=field, rule=rule, message=message)])


def fail(field: str, rule: str, message: str) -> PydanticCustomError:
    """An error for a model validator: `field` (relative to the model) is appended to pydantic's loc.

    Model-level checks (totals, dates that depend on each other) run on the whole model, so pydantic
    reports them at the model's own location; the context carries the field they are about.
    """
    return PydanticCustomError(rule, message, {"field": field})


def _path(prefix: str, error: ErrorDetails) -> str:
    parts = [prefix] if prefix else []
    parts += [str(p) for p in error["loc"]]
    ctx = error.get("ctx") or {}
    if isinstance(ctx.get("field"), str):
        parts.append(ctx["field"])
    return ".".join(parts) or "value"


def issues_from_validation(exc: ValidationError, prefix: str = "") -> list[FieldIssue]:
    """pydantic's errors as FieldIssues, paths prefixed (e.g. 'data'), without the input values."""
    issues = []
    for error in exc.errors(include_url=False, include_input=False):
        rule = _RULES.get(error["type"], error["type"])
        message = error["msg"].removeprefix("Value error, ")
        issues.append(FieldIssue(field=_path(prefix, error), rule=rule, message=message))
    return issues


def contract_error(exc: ValidationError, prefix: str = "") -> ContractError:
    return ContractError(issues_from_validation(exc, prefix))
