"""Incremental export by `_updated` with keyset pagination: nothing skipped, nothing repeated needlessly.

Amili's dates have one-second resolution, many documents can share a second (a batch run touches them
together), a document can still be written in the second a run ends, and page numbers shift when
documents change during an export. So:

- pages are asked for by keyset, never by page number: first the rest of the cursor's second
  (`_updated` equal, `_id` greater), then the following seconds sorted by `_updated, _id`;
- each run starts `OVERLAP_SECONDS` before the last document it handed out, so a late write in that
  second is still seen, and skips the ids it already handed out in that overlap (kept in the
  watermark). A fact id is derived from its natural id, so even a repeat would carry the same id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from workers.amili import assumptions
from workers.amili.dates import parse_amili_date, rfc1123

Iterate = Callable[..., AsyncIterator[Any]]
PAGE = assumptions.MAX_RESULTS_LIMIT
#: How far before the last handed-out document the next run starts reading again.
OVERLAP_SECONDS = 5


async def _page(iterate: Iterate, where: Mapping[str, Any], sort: str, **query: Any) -> list[Any]:
    """One request's worth (the iterator fetches pages lazily, so stopping at PAGE costs one call)."""
    items: list[Any] = []
    async for item in iterate(where=where, sort=sort, page_size=PAGE, **query):
        items.append(item)
        if len(items) == PAGE:
            break
    return items


async def _keyset(iterate: Iterate, where: Mapping[str, Any], stamp: str | None) -> AsyncIterator[Any]:
    """Every document with `_updated` at or after `stamp` (all of them without one), in (`_updated`, `_id`) order."""
    last_id = ""
    while True:
        if stamp is not None:
            same_second = await _page(iterate, {**where, "_updated": stamp, "_id": {"$gt": last_id}}, "_id")
            for doc in same_second:
                last_id = doc.id
                yield doc
            if len(same_second) == PAGE:
                continue
        later = await _page(
            iterate, dict(where) if stamp is None else {**where, "_updated": {"$gt": stamp}}, "_updated,_id"
        )
        if not later:
            return
        for doc in later:
            stamp, last_id = rfc1123(doc.updated), doc.id
            yield doc


async def by_id(iterate: Iterate, where: Mapping[str, Any], **query: Any) -> AsyncIterator[Any]:
    """Every document matching `where`, in `_id` order, by keyset: each page asks for `_id` above the last seen.

    Page numbers shift when a document leaves the filter mid-export (a case closes) and the next page
    then skips one; a keyset does not move, so every document still matching is seen once.
    """
    last_id: str | None = None
    while True:
        keyset = dict(where) if last_id is None else {**where, "_id": {"$gt": last_id}}
        page = await _page(iterate, keyset, "_id", **query)
        for doc in page:
            yield doc
        if len(page) < PAGE:
            return
        last_id = page[-1].id


async def updated_after(
    iterate: Iterate, where: Mapping[str, Any], watermark: Mapping[str, Any] | None
) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    """Yield (document, watermark after it) for every document changed since `watermark`, oldest first."""
    start: str | None = None
    # id -> `_updated` of the documents handed out within OVERLAP_SECONDS of the end of the last run
    recent: dict[str, datetime] = {}
    if watermark and watermark.get("updated"):
        start = rfc1123(parse_amili_date(watermark["updated"]) - timedelta(seconds=OVERLAP_SECONDS))
        recent = {i: parse_amili_date(u) for i, u in dict(watermark.get("recent", {})).items()}
    async for doc in _keyset(iterate, where, start):
        if recent.get(doc.id) == doc.updated:
            continue  # this very version was handed out by the last run
        recent[doc.id] = doc.updated
        horizon = doc.updated - timedelta(seconds=OVERLAP_SECONDS)
        recent = {i: u for i, u in recent.items() if u >= horizon}
        yield doc, {"updated": rfc1123(doc.updated), "recent": {i: rfc1123(u) for i, u in recent.items()}}
