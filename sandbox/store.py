"""The sandbox's state: collections of documents in dicts, indexes for natural keys, the clock.

Everything lives in memory and is rebuilt from the seed on reset. Documents are stored exactly as
served (Eve metadata included, dates as `Rfc1123`), so a read is a dict lookup and a serialise.
Internal bookkeeping that Amili would not show (a case's next transition) lives beside the
documents, never in them.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sandbox import jsonio
from sandbox.dates import IdFactory, Rfc1123
from sandbox.ledger import Ledger
from sandbox.seed import SeedData

#: Every collection the sandbox serves (the Eve resource names).
COLLECTIONS = (
    "partners",
    "accounts",
    "creditors",
    "access--groups",
    "users",
    "customers",
    "invoice--registrations",
    "invoices",
    "case--registrations",
    "cases",
    "creditor--payments",
    "creditor--creditings",
    "creditor--cancellations",
    "creditor--respites",
    "media",
    "finance--payout-specifications",
    "finance--payouts",
)


class Clock:
    """Wall time plus a controllable offset: `/_sandbox/clock/advance` moves the business clock."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class CasePlan:
    """What happens to an open case next, and how it ends (derived from the seed and the case id)."""

    next_at: datetime
    outcome: str
    respite_until: datetime | None = None
    #: Fees the creditor had already claimed (handed back as creditor_outlay when collected).
    outlay: Decimal = Decimal("0.00")


@dataclass
class Store:
    """All documents and indexes of one sandbox instance."""

    seed: SeedData
    rng_seed: int = 0
    clock: Clock = field(default_factory=Clock)
    ledger: Ledger = field(default_factory=Ledger)
    docs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    plans: dict[str, CasePlan] = field(default_factory=dict)
    cases_by_invoice: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    customers_by_key: dict[tuple[str, str], str] = field(default_factory=dict)
    creditors_by_account: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    creditors_by_partner: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    accounts_by_partner: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    creditor_numbers: int = 2000000
    #: (collection, creditor) -> that creditor's documents in creation order (scoped lists skip the rest).
    by_creditor: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    #: _id -> (_etag, serialised bytes): a read of an unchanged document costs no serialisation.
    wire_cache: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    #: Set by the lifecycle while it replays transitions at their scheduled times.
    frozen_now: datetime | None = None
    #: media _id -> (signature, bytes, content type): the uploaded files, served at their signed URL.
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ids = IdFactory(self.rng_seed)
        self.docs = {name: {} for name in COLLECTIONS}

    # --- documents -----------------------------------------------------------------------------
    def now(self) -> Rfc1123:
        """The time stamped on changes: the clock, or the scheduled time of a transition being run."""
        return Rfc1123(self.frozen_now or self.clock.now())

    def insert(self, collection: str, doc: dict[str, Any], *, doc_id: str | None = None) -> dict[str, Any]:
        """Store a new document with Eve's metadata; returns the stored document."""
        now = self.now()
        stored = {"_id": doc_id or self.ids.new(), **doc, "_created": now, "_updated": now}
        stored["_etag"] = secrets.token_hex(20)
        self.docs[collection][stored["_id"]] = stored
        if isinstance(stored.get("creditor"), str):
            self.by_creditor[(collection, stored["creditor"])].append(stored)
        return stored

    def touch(self, doc: dict[str, Any]) -> None:
        """Mark a document changed: new `_updated` and `_etag` (pollers watch `_updated`)."""
        doc["_updated"] = self.now()
        doc["_etag"] = secrets.token_hex(20)

    def wire(self, doc: Mapping[str, Any]) -> bytes:
        """The document as JSON bytes, cached until its `_etag` changes (every change goes through touch)."""
        cached = self.wire_cache.get(doc["_id"])
        if cached is not None and cached[0] == doc["_etag"]:
            return cached[1]
        data = jsonio.dumps(doc)
        self.wire_cache[doc["_id"]] = (doc["_etag"], data)
        return data

    def get(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        return self.docs[collection].get(doc_id)

    # --- scope ---------------------------------------------------------------------------------
    def creditor_account(self, creditor_id: str) -> str | None:
        creditor = self.docs["creditors"].get(creditor_id)
        return None if creditor is None else str(creditor["account"])

    def register_creditor(self, creditor: dict[str, Any]) -> None:
        """Index a creditor under its account and, through the account, its partner."""
        self.creditors_by_account[creditor["account"]].add(creditor["_id"])
        if creditor.get("partner"):
            self.creditors_by_partner[creditor["partner"]].add(creditor["_id"])

    def register_account(self, account: dict[str, Any]) -> None:
        if account.get("partner"):
            self.accounts_by_partner[account["partner"]].add(account["_id"])

    def next_creditor_number(self) -> int:
        self.creditor_numbers += 1
        return self.creditor_numbers
