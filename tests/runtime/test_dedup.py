"""The recent-outcome cache: a bounded LRU keyed by use case and event identity (source and id)."""

from __future__ import annotations

from workers.runtime.dedup import RecentOutcomes


def test_remembers_per_use_case_and_evicts_the_least_recent():
    cache = RecentOutcomes(capacity=2)
    cache.put("a", "e1", b"1", [])
    cache.put("a", "e2", b"2", [])
    assert cache.get("b", "e1") is None
    assert cache.get("a", "e1") == (b"1", [])  # e1 is now the most recent
    cache.put("a", "e3", b"3", [])
    assert cache.get("a", "e2") is None
    assert cache.get("a", "e1") is not None
    assert len(cache) == 2


def test_zero_capacity_remembers_nothing():
    cache = RecentOutcomes(capacity=0)
    cache.put("a", "e1", b"1", [])
    assert cache.get("a", "e1") is None
