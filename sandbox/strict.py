"""Strict Eve, per field: the sandbox can refuse fields a client sends that Amili does not document.

Eve rejects an unknown field with 422 by default. The sandbox accepts the fields the reference leaves
open (its schemas are lenient there, e.g. `creditor_reference` on cancellations), and this switch
makes it strict for chosen fields, to show what a client does when Amili refuses one:

    PUT /_sandbox/refused-fields {"rules": [
        {"path": "/creditor--cancellations", "method": "POST", "field": "creditor_reference"}]}

A refused field in a write's JSON body (dotted for nested fields; list items are looked into, e.g.
`debts.payout_reference`) is answered as Eve answers an unknown field: 422, `_issues: {field:
"unknown field"}`, and nothing is written. `path` is the route template (as in `/openapi.json`) or the
raw path; reset clears the rules.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RefusedField(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(min_length=1)
    method: str = "POST"
    field: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


class RefusedFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[RefusedField] = Field(default_factory=list)

    def issues(self, method: str, template: str, path: str, body: Any) -> dict[str, str]:
        """Eve's issues for the refused fields present in `body` (empty when none is)."""
        found: dict[str, str] = {}
        for rule in self.rules:
            if rule.method.upper() not in ("*", method) or rule.path not in (template, path):
                continue
            for dotted in _present(body, rule.field.split("."), ""):
                found[dotted] = "unknown field"
        return found


def _present(value: Any, parts: list[str], prefix: str) -> list[str]:
    """The dotted paths (with list indexes) at which `parts` exists in `value`."""
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _present(item, parts, f"{prefix}{i}.")]
    if not parts:
        return [prefix.rstrip(".")]
    if not isinstance(value, dict) or parts[0] not in value:
        return []
    return _present(value[parts[0]], parts[1:], f"{prefix}{parts[0]}.")
