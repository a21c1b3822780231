"""Dead-letter headers: written next to the untouched original headers and read back exactly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from schemas import deadletter
from schemas.errors import ContractError

FIRST = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
LAST = datetime(2026, 11, 2, 9, 45, 30, tzinfo=UTC)


def _headers(**overrides: Any) -> list[tuple[str, bytes]]:
    arguments: dict[str, Any] = {
        "original_headers": [("content-type", b"application/cloudevents+json"), ("trace", b"\x00\x01")],
        "topic": "billing.invoice-issued",
        "partition": 3,
        "offset": 1841,
        "timestamp_ms": 1_793_000_000_000,
        "consumer_group": "amili-fleet.register_invoice",
        "use_case": "register_invoice",
        "attempts": 8,
        "first_failure": FIRST,
        "last_failure": LAST,
        "error_class": "TransientError",
        "error_message": "Amili answered 503",
        "http_status": 503,
        "response_excerpt": '{"_status": "ERR"}',
    } | overrides
    return deadletter.dead_letter_headers(**arguments)


def test_headers_round_trip():
    headers = _headers()
    assert headers[:2] == [("content-type", b"application/cloudevents+json"), ("trace", b"\x00\x01")]
    info = deadletter.read_dead_letter(headers)
    assert info.original_topic == "billing.invoice-issued"
    assert (info.original_partition, info.original_offset) == (3, 1841)
    assert info.original_timestamp_ms == 1_793_000_000_000
    assert info.consumer_group == "amili-fleet.register_invoice"
    assert (info.use_case, info.attempts) == ("register_invoice", 8)
    assert (info.first_failure, info.last_failure) == (FIRST, LAST)
    assert (info.error_class, info.error_message) == ("TransientError", "Amili answered 503")
    assert (info.http_status, info.response_excerpt) == (503, '{"_status": "ERR"}')
    assert info.redrive_count == 0
    assert info.original_headers == headers[:2]


def test_optional_headers_are_left_out():
    headers = _headers(http_status=None, response_excerpt=None)
    names = {name for name, _ in headers}
    assert deadletter.HTTP_STATUS not in names
    assert deadletter.RESPONSE_EXCERPT not in names
    info = deadletter.read_dead_letter(headers)
    assert info.http_status is None
    assert info.response_excerpt is None


def test_dead_lettering_again_replaces_earlier_dlq_headers():
    again = _headers(original_headers=_headers(), redrive_count=1, attempts=2)
    assert sum(1 for name, _ in again if name == deadletter.ATTEMPTS) == 1
    info = deadletter.read_dead_letter(again)
    assert (info.attempts, info.redrive_count) == (2, 1)
    assert info.original_headers == _headers()[:2]


def test_long_messages_are_truncated():
    info = deadletter.read_dead_letter(_headers(error_message="x" * 5000, response_excerpt="y" * 5000))
    assert len(info.error_message) == deadletter.MAX_ERROR_MESSAGE
    assert info.response_excerpt is not None
    assert len(info.response_excerpt) == deadletter.MAX_RESPONSE_EXCERPT


@pytest.mark.parametrize("missing", deadletter.REQUIRED)
def test_missing_header_is_named(missing):
    headers = [h for h in _headers() if h[0] != missing]
    with pytest.raises(ContractError) as info:
        deadletter.read_dead_letter(headers)
    assert (info.value.field, info.value.rule) == (missing, "required")


def test_malformed_number_is_named():
    headers = [(n, b"three" if n == deadletter.ORIGINAL_PARTITION else v) for n, v in _headers()]
    with pytest.raises(ContractError) as info:
        deadletter.read_dead_letter(headers)
    assert (info.value.field, info.value.rule) == (deadletter.ORIGINAL_PARTITION, "format")
