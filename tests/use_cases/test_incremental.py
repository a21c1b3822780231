"""The keyset export over a fake Amili collection with Eve's filter semantics: nothing skipped, even a
late write in the last second of a run, and nothing handed out twice in the same version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workers.amili.dates import parse_amili_date, rfc1123
from workers.use_cases.incremental import updated_after

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)


@dataclass
class Doc:
    id: str
    updated: datetime


class Collection:
    def __init__(self) -> None:
        self.docs: dict[str, Doc] = {}
        self.requests = 0

    def put(self, doc_id: str, updated: datetime) -> None:
        self.docs[doc_id] = Doc(doc_id, updated)

    def _match(self, doc: Doc, where: dict[str, Any]) -> bool:
        stamp = where.get("_updated")
        if isinstance(stamp, str) and rfc1123(doc.updated) != stamp:
            return False
        if isinstance(stamp, dict) and not doc.updated > parse_amili_date(stamp["$gt"]):
            return False
        after = where.get("_id", {}).get("$gt")
        return after is None or doc.id > after

    async def iterate(self, *, where: dict[str, Any], sort: str, page_size: int) -> AsyncIterator[Doc]:
        self.requests += 1
        found = [d for d in self.docs.values() if self._match(d, where)]
        found.sort(key=(lambda d: d.id) if sort == "_id" else (lambda d: (d.updated, d.id)))
        for doc in found:
            yield doc


async def export(collection: Collection, watermark: dict[str, Any] | None) -> tuple[list[str], dict[str, Any] | None]:
    ids, mark = [], watermark
    async for doc, cursor in updated_after(collection.iterate, {}, watermark):
        ids.append(doc.id)
        mark = cursor
    return ids, mark


async def test_many_documents_in_one_second_are_each_exported_once():
    collection = Collection()
    for i in range(250):  # more than two pages share one second
        collection.put(f"a{i:03d}", T0)
    ids, mark = await export(collection, None)
    assert sorted(ids) == sorted(collection.docs)
    again, _ = await export(collection, mark)
    assert again == []


async def test_a_late_write_in_the_last_second_is_not_skipped():
    collection = Collection()
    collection.put("b5", T0)
    collection.put("b7", T0)
    first, mark = await export(collection, None)
    assert first == ["b5", "b7"]
    collection.put("b1", T0)  # same second, smaller id, written after the run
    collection.put("c1", T0 + timedelta(seconds=10))
    second, mark = await export(collection, mark)
    assert second == ["b1", "c1"]
    assert (await export(collection, mark))[0] == []


async def test_a_document_changed_again_is_exported_again():
    collection = Collection()
    collection.put("d1", T0)
    _, mark = await export(collection, None)
    collection.put("d1", T0 + timedelta(seconds=2))
    assert (await export(collection, mark))[0] == ["d1"]


async def test_the_watermark_stays_small():
    collection = Collection()
    for i in range(50):
        collection.put(f"e{i:02d}", T0 + timedelta(seconds=i))
    _, mark = await export(collection, None)
    assert mark is not None
    assert len(mark["recent"]) <= 6  # only the last OVERLAP_SECONDS of documents
