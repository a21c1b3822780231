"""Schemathesis fuzzes every documented operation of a real sandbox: no input may cause a 5xx."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Err, Ok

from sandbox.reading import API_KEY_HEADER

pytestmark = pytest.mark.integration

#: Examples per operation: enough to hit every field with odd values, bounded to keep the suite fast.
EXAMPLES = 12


def test_no_generated_request_gets_a_server_error(sandbox):
    schema = schemathesis.openapi.from_url(f"{sandbox.base_url}/openapi.json")
    token = sandbox.token()
    results = list(schema.get_all_operations())
    assert not [r for r in results if isinstance(r, Err)]  # the published OpenAPI document is valid
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) > 30
    failures: list[str] = []

    for operation in operations:
        fuzz_operation(operation, sandbox.base_url, token, failures)

    assert failures == []
    totals = sandbox.stats()["endpoints"]
    assert not any(status.startswith("5") for counts in totals.values() for status in counts)


def fuzz_operation(operation, base_url: str, token: str, failures: list[str]) -> None:
    """Run EXAMPLES generated requests against one operation, recording any 5xx."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def fuzz(case):
        # Most calls carry a valid token so the fuzzing reaches validation, not just the 401.
        headers = {} if (case.headers or {}).get(API_KEY_HEADER) else {API_KEY_HEADER: token}
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        if response.status_code >= 500:
            failures.append(
                f"{operation.method.upper()} {operation.path} -> {response.status_code}: {case.body!r:.200}"
            )

    fuzz()
