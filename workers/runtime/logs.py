"""JSON log lines (orjson) with event id, correlation id and use case, and personal data redacted.

`RedactingFilter` masks personnummer / organisationsnummer-like digit runs, e-mail addresses and
phone numbers in the message and in every extra field, so a careless log call cannot leak them.
Extras are passed the standard way: `log.info("...", extra={"event_id": ..., "use_case": ...})`.
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from datetime import UTC, datetime
from typing import Any

import orjson

MASK = "[redacted]"

# Ids such as "INV-2026-0001" or "k40-s21-91234567" hold digit runs too: a run glued to a word or a
# hyphen is left alone, so only free-standing numbers are taken for personal data.
_ALONE_BEFORE = r"(?<![\w-])"
_ALONE_AFTER = r"(?![\w-])"
_PATTERNS = [
    re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),  # e-mail
    # personnummer / samordningsnummer / organisationsnummer: 10 or 12 digits, optional - or +
    re.compile(rf"{_ALONE_BEFORE}(?:\d{{2}})?\d{{6}}[-+]?\d{{4}}{_ALONE_AFTER}"),
    # international phone numbers: +46 70 123 45 67, 0046701234567
    re.compile(rf"{_ALONE_BEFORE}(?:\+|00)\d{{2}}[\s-]?\d{{1,3}}(?:[\s-]?\d{{2,4}}){{2,4}}{_ALONE_AFTER}"),
    # Swedish national phone numbers: 070-123 45 67, 08-123 456 78, 0701234567
    re.compile(rf"{_ALONE_BEFORE}0\d{{1,3}}[\s-]\d{{2,3}}(?:[\s-]?\d{{2,3}}){{1,3}}{_ALONE_AFTER}"),
    re.compile(rf"{_ALONE_BEFORE}07\d{{8}}{_ALONE_AFTER}"),
]

#: LogRecord attributes that are not extras.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(MASK, text)
    return text


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) in (10, 12):
        return MASK  # a personnummer written as an integer
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_redact_value(v) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Masks personal data in the message, its arguments and every extra attribute."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD:
                setattr(record, name, _redact_value(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                line[name] = value
        if record.exc_info:
            line["exception"] = redact("".join(traceback.format_exception(*record.exc_info)))
        return orjson.dumps(line, default=str).decode()


def configure(level: str = "INFO", fmt: str = "json") -> None:
    """Route every logger to stderr through the redaction filter (JSON lines or plain text)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Chatty libraries: one line per HTTP request or per fetch would drown the worker's own lines.
    for noisy in ("kafka", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
