"""Per-partition offset tracking: what was dispatched, what finished, and how far it is safe to commit.

Records finish out of order (keys run concurrently), so the commit point of a partition is the lowest
dispatched record not yet finished, or one past the last dispatched record when all have finished.
A crash therefore re-delivers, never skips. A record counts against the partition's buffer until the
broker holds a commit past it, which bounds both memory and the reconcile window of the next owner.
Pure bookkeeping, owned by the consumer thread.

Each assignment of a partition gets a new epoch: a record of an earlier assignment that finishes late
(its partition was revoked meanwhile) must not move the new assignment's commit point.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field

_epochs = itertools.count(1)


@dataclass
class PartitionOffsets:
    """One assigned partition's bookkeeping."""

    epoch: int
    window: int
    #: dispatched offsets not yet below the committed offset, in order
    _dispatched: deque[int] = field(default_factory=deque)
    _finished: set[int] = field(default_factory=set)
    #: how many leading entries of _dispatched are finished (so the commit point is found in O(1))
    _prefix: int = 0
    #: one past the last dispatched offset
    next_offset: int | None = None
    #: the first offset dispatched after the assignment: where the previous owner left off
    first_offset: int | None = None
    committed: int | None = None

    def dispatch(self, offset: int) -> None:
        if self.next_offset is not None and offset < self.next_offset:
            raise ValueError(f"offset {offset} dispatched after {self.next_offset - 1}: offsets must increase")
        if self.first_offset is None:
            self.first_offset = offset
        self._dispatched.append(offset)
        self.next_offset = offset + 1

    def finish(self, offset: int) -> None:
        self._finished.add(offset)
        while self._prefix < len(self._dispatched) and self._dispatched[self._prefix] in self._finished:
            self._prefix += 1

    def mark_committed(self, offset: int) -> None:
        """The broker now holds `offset`: forget everything below it (memory stays bounded)."""
        while self._dispatched and self._dispatched[0] < offset:
            self._finished.discard(self._dispatched.popleft())
            self._prefix = max(self._prefix - 1, 0)
        self.committed = offset

    @property
    def commit_point(self) -> int | None:
        """The offset to commit (the next record to read after a restart), or None before any dispatch."""
        if self._prefix < len(self._dispatched):
            return self._dispatched[self._prefix]
        return self.next_offset

    @property
    def buffered(self) -> int:
        """Records dispatched but not yet committed (finished or not): what the cap bounds."""
        return len(self._dispatched)

    @property
    def unfinished(self) -> int:
        return len(self._dispatched) - len(self._finished)

    def in_reconcile_window(self, offset: int) -> bool:
        """True for records the previous owner could have had in flight or finished but not committed."""
        return self.first_offset is not None and offset < self.first_offset + self.window


class OffsetTracker:
    """Every assigned partition of one consumer; partition ids are opaque hashables (TopicPartition)."""

    def __init__(self, window: int) -> None:
        self.window = window
        self._partitions: dict[Hashable, PartitionOffsets] = {}

    def assign(self, tp: Hashable) -> int:
        """Start tracking a newly assigned partition; returns its epoch."""
        state = PartitionOffsets(epoch=next(_epochs), window=self.window)
        self._partitions[tp] = state
        return state.epoch

    def revoke(self, tp: Hashable) -> None:
        self._partitions.pop(tp, None)

    def get(self, tp: Hashable) -> PartitionOffsets | None:
        return self._partitions.get(tp)

    def dispatch(self, tp: Hashable, offset: int) -> PartitionOffsets:
        state = self._partitions.get(tp)
        if state is None:
            # Records may only come from assigned partitions; kafka-python guarantees it.
            raise KeyError(f"partition {tp} is not assigned")
        state.dispatch(offset)
        return state

    def finish(self, tp: Hashable, epoch: int, offset: int) -> bool:
        """Mark a record finished; False (and no effect) when it belongs to an earlier assignment."""
        state = self._partitions.get(tp)
        if state is None or state.epoch != epoch:
            return False
        state.finish(offset)
        return True

    def to_commit(self, partitions: set[Hashable] | None = None) -> dict[Hashable, int]:
        """Commit points that moved since the last commit (all partitions, or only those given)."""
        moved: dict[Hashable, int] = {}
        for tp, state in self._partitions.items():
            if partitions is not None and tp not in partitions:
                continue
            point = state.commit_point
            if point is not None and point != state.committed:
                moved[tp] = point
        return moved

    def mark_committed(self, offsets: dict[Hashable, int]) -> None:
        for tp, offset in offsets.items():
            state = self._partitions.get(tp)
            if state is not None:
                state.mark_committed(offset)

    def __iter__(self) -> Iterator[tuple[Hashable, PartitionOffsets]]:
        return iter(list(self._partitions.items()))

    def __contains__(self, tp: Hashable) -> bool:
        return tp in self._partitions
