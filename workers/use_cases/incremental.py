"""Incremental export by `_updated` with keyset pagination: nothing skipped, nothing repeated.

Amili's dates have one-second resolution and many documents can share a second (a batch run touches
them together), and page numbers shift when documents change during an export. So the cursor is the
pair (`_updated`, `_id`) of the last document handed out, and each request asks for what comes after
it: first the rest of the cursor's second (`_updated` equal, `_id` greater), then the following
seconds, sorted by `_updated, _id`. The watermark a poller saves is that cursor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, Protocol

from workers.amili import assumptions
from workers.amili.dates import rfc1123


class Dated(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def updated(self) -> Any: ...


Iterate = Callable[..., AsyncIterator[Any]]
PAGE = assumptions.MAX_RESULTS_LIMIT


async def _page(iterate: Iterate, where: Mapping[str, Any], sort: str) -> list[Any]:
    """One request's worth (the iterator fetches pages lazily, so stopping at PAGE costs one call)."""
    items: list[Any] = []
    async for item in iterate(where=where, sort=sort, page_size=PAGE):
        items.append(item)
        if len(items) == PAGE:
            break
    return items


async def updated_after(
    iterate: Iterate, where: Mapping[str, Any], watermark: Mapping[str, Any] | None
) -> AsyncIterator[tuple[Any, dict[str, Any]]]:
    """Yield (document, cursor after it) for every document changed since `watermark`, oldest first."""
    stamp: str | None = watermark.get("updated") if watermark else None
    last_id: str | None = watermark.get("id") if watermark else None
    while True:
        if stamp is not None and last_id is not None:
            same_second = await _page(iterate, {**where, "_updated": stamp, "_id": {"$gt": last_id}}, "_id")
            for doc in same_second:
                last_id = doc.id
                yield doc, {"updated": stamp, "id": last_id}
            if len(same_second) == PAGE:
                continue
        later_where = dict(where) if stamp is None else {**where, "_updated": {"$gt": stamp}}
        later = await _page(iterate, later_where, "_updated,_id")
        if not later:
            return
        for doc in later:
            stamp, last_id = rfc1123(doc.updated), doc.id
            yield doc, {"updated": stamp, "id": last_id}
