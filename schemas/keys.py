"""The record key rule: `<creditor>:<reference>`, so every event about one claim is ordered on one partition.

The creditor part is the Amili creditor id (24 hex) for everything about a claim, and the upstream
account reference for partner onboarding (no Amili id exists yet). The reference part is the invoice
number (or the claim reference, user reference, payout id: see each event's `aggregate_key`).
Neither part may hold personal data (no e-mail, no personnummer): keys end up in logs.
"""

from __future__ import annotations

import re
from typing import Final

from schemas.errors import ContractError

#: One key part: what `schemas.types.Reference` allows (Amili ids fit too).
_PART: Final = r"[A-Za-z0-9][A-Za-z0-9._/-]{0,63}"
KEY_PATTERN: Final = rf"^{_PART}:{_PART}$"
_KEY = re.compile(KEY_PATTERN)


def build_key(creditor: str, reference: str) -> str:
    """The aggregate key producers publish with; raises ContractError(field='key') for a bad part."""
    key = f"{creditor}:{reference}"
    if not _KEY.match(key):
        raise ContractError.single("key", "format", "key parts are 1-64 of [A-Za-z0-9._/-], no ':'")
    return key


def parse_key(raw: bytes | None) -> str:
    """Validate a record key (UTF-8, `<creditor>:<reference>`); raises ContractError(field='key')."""
    if raw is None or raw == b"":
        raise ContractError.single("key", "required", "the record key is missing")
    try:
        key = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ContractError.single("key", "format", "the record key is not UTF-8") from None
    if not _KEY.match(key):
        raise ContractError.single("key", "format", "the record key must be <creditor>:<reference>")
    return key
