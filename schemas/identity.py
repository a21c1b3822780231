"""The identity of an event: `(source, id)`, as one short stable digest.

CloudEvents makes an `id` unique per `source` only: two producers may both send an event `42`. So
everything that identifies an event (the recent-outcome cache, every natural key derived from an event
id and sent to Amili, and the reconcile look-ups of those keys) uses `event_identity(source, id)`.

The digest is the first 32 hex characters (128 bits) of SHA-256 over the JSON pair `[source, id]`
(JSON, so no choice of separator can make two different pairs collide). Amili documents no length for
its reference fields (`creditor_payment_reference`, `creditor_reference`); 32 characters stays under the
35 that payment references commonly allow (ISO 20022 end-to-end ids) and is only lowercase hex, so
any plausible limit or character rule holds (an assumption, listed in the README).

A producer can compute the same value to find its event's action in Amili.
"""

from __future__ import annotations

import hashlib
from typing import Final

import orjson

#: Length of an event identity (hex characters): 128 bits, under any plausible Amili field limit.
EVENT_IDENTITY_LENGTH: Final = 32


def event_identity(source: str, event_id: str) -> str:
    """The stable digest of `(source, id)`: the same pair always gives the same 32 hex characters."""
    return hashlib.sha256(orjson.dumps([source, event_id])).hexdigest()[:EVENT_IDENTITY_LENGTH]
