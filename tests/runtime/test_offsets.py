"""Offset tracking: commit only up to the lowest unfinished record; epochs fence late finishes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.runtime.offsets import OffsetTracker, PartitionOffsets

TP = ("topic", 0)


def test_commit_point_stays_at_lowest_unfinished_record():
    # Given offsets 10..14 dispatched
    state = PartitionOffsets(epoch=1, window=100)
    for offset in range(10, 15):
        state.dispatch(offset)
    # When 11, 12 and 14 finish out of order
    for offset in (12, 14, 11):
        state.finish(offset)
    # Then the commit point is 10 (not finished), and moves to 13 once 10 finishes
    assert state.commit_point == 10
    state.finish(10)
    assert state.commit_point == 13
    state.finish(13)
    assert state.commit_point == 15


def test_gaps_in_offsets_commit_past_the_last_record():
    # Given offsets with gaps (compaction, transaction markers)
    state = PartitionOffsets(epoch=1, window=100)
    for offset in (3, 7, 20):
        state.dispatch(offset)
        state.finish(offset)
    # Then the commit point is one past the last record
    assert state.commit_point == 21


def test_buffer_counts_records_until_the_broker_holds_the_commit():
    # Given 5 dispatched and all finished records
    state = PartitionOffsets(epoch=1, window=100)
    for offset in range(5):
        state.dispatch(offset)
        state.finish(offset)
    # Then they still count against the cap until committed
    assert state.buffered == 5
    state.mark_committed(3)
    assert state.buffered == 2
    state.mark_committed(5)
    assert (state.buffered, state.unfinished, state.commit_point) == (0, 0, 5)


def test_dispatching_backwards_is_refused():
    state = PartitionOffsets(epoch=1, window=10)
    state.dispatch(5)
    with pytest.raises(ValueError, match="offsets must increase"):
        state.dispatch(4)


def test_reconcile_window_is_the_cap_from_the_first_record_after_assignment():
    # Given a partition whose first record after assignment is offset 100 and a cap of 50
    state = PartitionOffsets(epoch=1, window=50)
    state.dispatch(100)
    # Then offsets 100..149 are in the window and 150 is not
    assert state.in_reconcile_window(100)
    assert state.in_reconcile_window(149)
    assert not state.in_reconcile_window(150)


def test_finish_from_an_earlier_assignment_is_ignored():
    # Given a partition assigned, a record dispatched, then revoked and assigned again
    tracker = OffsetTracker(window=10)
    old_epoch = tracker.assign(TP)
    tracker.dispatch(TP, 0)
    tracker.revoke(TP)
    new_epoch = tracker.assign(TP)
    tracker.dispatch(TP, 0)
    # When the old assignment's record finishes late
    assert tracker.finish(TP, old_epoch, 0) is False
    # Then the new assignment's commit point did not move
    assert tracker.to_commit() == {TP: 0}
    assert tracker.finish(TP, new_epoch, 0) is True
    assert tracker.to_commit() == {TP: 1}


def test_to_commit_reports_only_moved_points():
    tracker = OffsetTracker(window=10)
    epoch = tracker.assign(TP)
    tracker.dispatch(TP, 0)
    tracker.finish(TP, epoch, 0)
    assert tracker.to_commit() == {TP: 1}
    tracker.mark_committed({TP: 1})
    assert tracker.to_commit() == {}


@given(st.permutations(list(range(30))), st.integers(min_value=0, max_value=30))
def test_commit_point_never_passes_an_unfinished_record(order, how_many):
    # Given 30 records finished in any order, only some of them
    state = PartitionOffsets(epoch=1, window=100)
    for offset in range(30):
        state.dispatch(offset)
    finished = set(order[:how_many])
    for offset in order[:how_many]:
        state.finish(offset)
    # Then everything below the commit point is finished, and the commit point is not
    point = state.commit_point
    assert point is not None
    assert all(o in finished for o in range(point))
    assert point == 30 or point not in finished
