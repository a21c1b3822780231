"""Guard: the chart's use cases, the registered handlers and pollers, the catalog and the tests agree.

Adding a use case touches one module in workers/use_cases, one in schemas, one test module and one entry in
the chart's values; this fails until all four are there.
"""

from __future__ import annotations

import re

import pytest

from schemas.catalog import POLLERS, USE_CASES
from tests.deploy.rendering import ROOT, default_values
from workers.runtime.polling import registered_pollers
from workers.runtime.registry import discover

ENTRIES = {entry["name"]: entry for entry in default_values()["useCases"]}


def test_values_list_each_use_case_once():
    names = [entry["name"] for entry in default_values()["useCases"]]
    assert len(names) == len(set(names))


def test_values_match_the_registered_use_cases_and_pollers():
    inbound = set(discover())
    pollers = set(registered_pollers())
    assert {n for n, e in ENTRIES.items() if not e.get("poller")} == inbound
    assert {n for n, e in ENTRIES.items() if e.get("poller")} == pollers


def test_values_match_the_catalog():
    assert {n for n, e in ENTRIES.items() if not e.get("poller")} == set(USE_CASES)
    assert {n for n, e in ENTRIES.items() if e.get("poller")} == set(POLLERS)


def test_values_name_the_catalog_topics():
    topics = {n: u.topic for n, u in USE_CASES.items()} | {n: p.topic for n, p in POLLERS.items()}
    assert {n: e["topic"] for n, e in ENTRIES.items()} == topics


def test_registered_handlers_consume_the_catalog_topics():
    assert {n: uc.consumes for n, uc in discover().items()} == {n: u.topic for n, u in USE_CASES.items()}
    assert {n: p.publishes for n, p in registered_pollers().items()} == {n: p.topic for n, p in POLLERS.items()}


def test_every_entry_can_be_autoscaled_within_its_partitions():
    for name, entry in ENTRIES.items():
        assert entry["partitions"] >= entry.get("replicas", 1) >= 1, name


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_each_use_case_has_its_own_tests(name):
    # tests/use_cases holds the per-use-case test modules (the catalog's own tests list every name anyway).
    word = re.compile(rf"\b{name}\b")
    mentioned = [p for p in (ROOT / "tests" / "use_cases").rglob("test_*.py") if word.search(p.read_text())]
    assert mentioned, f"no test module under tests/use_cases mentions {name}"
