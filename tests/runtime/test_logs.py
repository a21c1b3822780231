"""JSON logs with personal data redacted from messages, arguments and extras."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from workers.runtime.logs import MASK, JsonFormatter, RedactingFilter, redact


@pytest.mark.parametrize(
    "text",
    [
        "personnummer 19900101-1234",
        "personnummer 900101-1234",
        "orgnr 556677-8899",
        "samordning 199001611234",
        "mail anna.svensson@example.se",
        "phone +46 70 123 45 67",
        "phone 070-123 45 67",
        "phone 08-123 456 78",
    ],
)
def test_personal_data_is_masked(text):
    label = text.split(" ", 1)[0]
    assert redact(text) == f"{label} {MASK}"


@pytest.mark.parametrize(
    "text",
    ["event k40-s21-91234567 finished", "offset 1234 of partition 3", "invoice INV-2026-0001", "took 0.25s"],
)
def test_ids_and_numbers_are_left_alone(text):
    assert redact(text) == text


def _format(record: logging.LogRecord) -> dict[str, Any]:
    assert RedactingFilter().filter(record)
    line: dict[str, Any] = orjson.loads(JsonFormatter().format(record))
    return line


def test_message_arguments_and_extras_are_redacted_in_json():
    record = logging.LogRecord("w", logging.INFO, __file__, 1, "debtor %s wrote", ("a@b.se",), None)
    record.event_id = "e-1"
    record.use_case = "register_invoice"
    record.detail = {"phone": "+46701234567", "n": 199001011234}
    line = _format(record)
    assert line["message"] == f"debtor {MASK} wrote"
    assert line["event_id"] == "e-1"
    assert line["use_case"] == "register_invoice"
    assert line["detail"] == {"phone": MASK, "n": MASK}
    assert line["level"] == "info"


def test_exception_text_is_redacted():
    try:
        raise ValueError("bad personnummer 19900101-1234")
    except ValueError:
        import sys

        record = logging.LogRecord("w", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = _format(record)
    assert "19900101-1234" not in line["exception"]
    assert MASK in line["exception"]
