"""Eve-style collection queries (reference 2.1): `where`, `sort`, `projection`, `page`, `max_results`.

`where` and `projection` travel as URL-encoded JSON; dates inside `where` are written RFC 1123 and
amounts as exact numbers. `iterate_pages` walks pages until `_meta.total` is reached (or a short or
empty page, for servers that do not count).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from schemas import jsonio
from workers.amili import assumptions
from workers.amili.wire import to_wire

Query = dict[str, str | int]


def check_page_size(page_size: int) -> int:
    """Reject page sizes Amili would refuse (it caps `max_results` at 100)."""
    if not 1 <= page_size <= assumptions.MAX_RESULTS_LIMIT:
        raise ValueError(f"page_size: must be between 1 and {assumptions.MAX_RESULTS_LIMIT}, got {page_size}")
    return page_size


def build_query(
    *,
    where: Mapping[str, Any] | None = None,
    sort: str | None = None,
    projection: Mapping[str, int] | None = None,
    page: int | None = None,
    max_results: int | None = None,
) -> Query:
    """Query parameters for one request; unset ones are left out."""
    query: Query = {}
    if where:
        query["where"] = jsonio.dumps(to_wire(dict(where))).decode()
    if sort:
        query["sort"] = sort
    if projection:
        query["projection"] = jsonio.dumps(dict(projection)).decode()
    if page is not None:
        query["page"] = page
    if max_results is not None:
        query["max_results"] = check_page_size(max_results)
    return query


async def iterate_pages(
    fetch: Callable[[Query], Awaitable[Any]],
    *,
    where: Mapping[str, Any] | None = None,
    sort: str | None = None,
    projection: Mapping[str, int] | None = None,
    page_size: int = assumptions.MAX_RESULTS_LIMIT,
) -> AsyncIterator[dict[str, Any]]:
    """Yield every item of a collection, one page request at a time, lazily."""
    check_page_size(page_size)
    page = 1
    while True:
        body = await fetch(build_query(where=where, sort=sort, projection=projection, page=page, max_results=page_size))
        items = body.get("_items", []) if isinstance(body, Mapping) else []
        for item in items:
            yield item
        meta = body.get("_meta") if isinstance(body, Mapping) else None
        total = meta.get("total") if isinstance(meta, Mapping) else None
        # Trust the server's page size over ours: it may cap max_results lower than asked.
        served = meta.get("max_results") if isinstance(meta, Mapping) else None
        per_page = served if isinstance(served, int) and served > 0 else page_size
        if not items:
            return
        if isinstance(total, int):
            if page * per_page >= total:
                return
        elif len(items) < per_page:
            return
        page += 1
