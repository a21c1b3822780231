"""The side-effect ledger: every write the sandbox applied, in order, with its natural key.

Tests read it through `GET /_sandbox/ledger` to prove that no invoice, case, payment, credit,
user or creditor was created twice (`duplicates`), and in which order actions reached a case.

`duplicates` only sees what shares a natural key, so it cannot show two facts merged into one.
`documents` is what Amili would hold: per kind, every document created, with its own id, whatever its
key; a test compares it with the facts it sent (two payments sent, two payments held).
Entries are appended before the response is sent, so a write whose connection is dropped by
fault injection is still recorded: that is exactly the case idempotency has to survive.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ledger:
    """An append-only list of side effects plus a count per (kind, natural key)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def record(
        self,
        kind: str,
        *,
        time: str,
        creditor: str | None,
        natural_key: str | None,
        ids: dict[str, Any],
        case: str | None = None,
    ) -> None:
        """Append one side effect; `natural_key` None means the write has no key to count."""
        self.entries.append(
            {
                "seq": len(self.entries) + 1,
                "time": time,
                "kind": kind,
                "creditor": creditor,
                "natural_key": natural_key,
                "case": case,
                "ids": ids,
            }
        )
        if natural_key is not None:
            self.counts[(kind, natural_key)] += 1

    def duplicates(self) -> dict[str, dict[str, int]]:
        """{kind: {natural key: times created}} for every key created more than once."""
        out: dict[str, dict[str, int]] = {}
        for (kind, key), count in self.counts.items():
            if count > 1:
                out.setdefault(kind, {})[key] = count
        return out

    def view(self, filters: dict[str, str]) -> dict[str, Any]:
        """The ledger as served: entries matching every filter (case, kind, creditor, natural_key)."""
        entries = self.entries
        for name in ("case", "kind", "creditor", "natural_key"):
            if name in filters:
                entries = [e for e in entries if e.get(name) == filters[name]]
        counts: dict[str, dict[str, int]] = {}
        for (kind, key), count in self.counts.items():
            counts.setdefault(kind, {})[key] = count
        documents: dict[str, list[str]] = {}
        for entry in entries:
            ids = entry["ids"]
            doc_id = ids.get("document") or ids.get(entry["kind"]) or ids.get("media")
            if doc_id is not None:
                documents.setdefault(entry["kind"], []).append(str(doc_id))
        return {
            "entries": entries,
            "counts": counts,
            "duplicates": self.duplicates(),
            "documents": documents,
            "total": len(entries),
        }
