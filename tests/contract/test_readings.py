"""The client's assumptions about Amili against the sandbox's own reading of the reference.

The two sides read reference/amili-api.md separately (`workers/amili/assumptions.py`, `sandbox/reading.py`);
a name they share is one question about Amili. docs/sandbox.md ("The client against the sandbox's
reading") keeps the work for the day Amili's Swagger specs are read: every question where the two answer
differently, every shared answer the reference does not document, and the client's choices the sandbox does
not simulate. These tests pass only while those lists are exactly what the code says.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from types import ModuleType
from typing import Any

import pytest

import sandbox.reading as reading
import workers.amili.assumptions as client
from tests.packaging.distributions import ROOT

STATUS_LABELS = {"DOC", "DOC_ALPHA", "INFERRED", "UNKNOWN"}
STATUSES = {reading.DOC, reading.DOC_ALPHA, reading.INFERRED, reading.UNKNOWN}
DOC_PAGE = ROOT / "docs" / "sandbox.md"


def answers(module: ModuleType, exclude: Collection[str] = ()) -> dict[str, Any]:
    return {n: v for n, v in vars(module).items() if n.isupper() and not n.startswith("_") and n not in exclude}


CLIENT = answers(client)
SANDBOX = answers(reading, {"SOURCES", *STATUS_LABELS})
SHARED = sorted(set(CLIENT) & set(SANDBOX))


def documented(heading: str) -> set[str]:
    """The names in the first column of the table under `### heading` in docs/sandbox.md."""
    text = DOC_PAGE.read_text()
    section = text.split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    return {m.group(1) for m in re.finditer(r"^\| `([A-Z_]+)`", section, re.MULTILINE)}


def test_every_reading_names_its_reference_section_and_how_sure_it_is():
    assert set(reading.SOURCES) == set(SANDBOX)
    for name, source in reading.SOURCES.items():
        assert source.status in STATUSES, name
        assert re.match(r"^\d|^\d\.\d", source.section), (name, source.section)
        assert source.note, name


def test_the_listed_differences_are_exactly_the_actual_ones():
    actual = {name: (CLIENT[name], SANDBOX[name]) for name in SHARED if CLIENT[name] != SANDBOX[name]}
    assert set(actual) == documented("Where the client and the sandbox differ"), (
        f"client vs sandbox now differ on {actual}: update docs/sandbox.md"
    )


def test_the_listed_agreements_to_confirm_are_every_shared_answer_amili_does_not_document():
    to_confirm = {n for n in SHARED if CLIENT[n] == SANDBOX[n] and reading.SOURCES[n].status != reading.DOC}
    assert to_confirm == documented("Where both guess the same")


def test_the_client_only_choices_are_listed():
    assert set(CLIENT) - set(SANDBOX) == documented("Client choices the sandbox does not simulate")


@pytest.mark.parametrize("name", ["MEDIA_MAX_BYTES", "MAX_RESPITE_DAYS"])
def test_where_amili_sets_no_limit_the_sandbox_enforces_none_and_the_fleet_its_contract(name):
    # The differences are real, not bookkeeping: the fleet refuses what the sandbox would take.
    assert SANDBOX[name] is None
    assert isinstance(CLIENT[name], int)
    assert reading.SOURCES[name].status == reading.UNKNOWN
