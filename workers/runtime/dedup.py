"""Recently finished events and their outcomes (LRU): a near duplicate is answered without Amili.

An event is `(source, id)`: CloudEvents makes an id unique per source only, so the cache is keyed by
`schemas.identity.event_identity(source, id)`, never by the id alone (two producers' event `42` are two
facts). An upstream duplicate that arrives soon after the original (same use case, same source and id)
gets the same deterministic outcome again. Only `succeeded` and `rejected` are remembered: a dead-lettered
event must be tried again when it is redriven. Distant duplicates are caught by the natural-key
look-ups of the use cases; this cache only saves the Amili round trip.
"""

from __future__ import annotations

from collections import OrderedDict

Outcome = tuple[bytes, list[tuple[str, bytes]]]


class RecentOutcomes:
    """An LRU of (use case, event identity) -> the published outcome record (value, headers)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, str], Outcome] = OrderedDict()

    def get(self, use_case: str, identity: str) -> Outcome | None:
        key = (use_case, identity)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, use_case: str, identity: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        if self.capacity <= 0:
            return
        key = (use_case, identity)
        self._items[key] = (value, headers)
        self._items.move_to_end(key)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)
