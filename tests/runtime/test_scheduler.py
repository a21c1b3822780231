"""Key-ordered scheduling: same key in order, other keys concurrently, a bounded number in flight."""

from __future__ import annotations

import asyncio

from tests.runtime.aio import run_async
from workers.runtime.scheduler import InFlightLimit, KeyedScheduler


@run_async
async def test_same_key_runs_in_order_and_keys_overlap():
    # Given jobs on two keys whose runner yields between start and end
    events: list[tuple[str, str]] = []

    async def run(job: str) -> None:
        events.append(("start", job))
        await asyncio.sleep(0.01)
        events.append(("end", job))

    scheduler: KeyedScheduler[str] = KeyedScheduler(run)
    # When three jobs per key are submitted
    for i in range(3):
        scheduler.submit("a", f"a{i}")
        scheduler.submit("b", f"b{i}")
    assert await scheduler.wait_idle(2)
    # Then each key's jobs never overlap and keep their order
    for key in "ab":
        mine = [e for e in events if e[1].startswith(key)]
        assert mine == [(kind, f"{key}{i}") for i in range(3) for kind in ("start", "end")]
    # and the two keys ran at the same time
    assert events[:2] == [("start", "a0"), ("start", "b0")]


@run_async
async def test_a_waiting_key_does_not_hold_up_others():
    # Given key "slow" whose first job waits (a delayed retry) without holding a slot
    limit = InFlightLimit(1)
    release = asyncio.Event()
    done: list[str] = []

    async def run(job: str) -> None:
        if job == "slow":
            await release.wait()
        async with limit.slot():
            done.append(job)

    scheduler: KeyedScheduler[str] = KeyedScheduler(run)
    scheduler.submit("k1", "slow")
    for i in range(5):
        scheduler.submit(f"k{i + 2}", f"fast{i}")
    # When the others run
    await asyncio.sleep(0.05)
    # Then every other key finished while the slow one still waits
    assert done == [f"fast{i}" for i in range(5)]
    release.set()
    assert await scheduler.wait_idle(1)
    assert done[-1] == "slow"


@run_async
async def test_in_flight_limit_caps_concurrency():
    limit = InFlightLimit(3)
    peak = 0

    async def run(job: int) -> None:
        nonlocal peak
        async with limit.slot():
            peak = max(peak, limit.in_flight)
            await asyncio.sleep(0.005)

    scheduler: KeyedScheduler[int] = KeyedScheduler(run)
    for i in range(20):
        scheduler.submit(i, i)
    assert await scheduler.wait_idle(2)
    assert peak == 3
    assert limit.in_flight == 0


@run_async
async def test_cancel_drops_matching_chains_and_leaves_others():
    # Given two partitions' chains, each blocked in its first job
    gate = asyncio.Event()
    ran: list[str] = []

    async def run(job: str) -> None:
        await gate.wait()
        ran.append(job)

    scheduler: KeyedScheduler[str] = KeyedScheduler(run)
    for job in ("p0-a", "p0-b"):
        scheduler.submit(("t", 0, job[-1]), job)
    scheduler.submit(("t", 1, "a"), "p1-a")
    await asyncio.sleep(0)
    # When partition 0 is abandoned
    dropped = scheduler.cancel(lambda key: isinstance(key, tuple) and key[1] == 0)
    gate.set()
    assert await scheduler.wait_idle(1)
    # Then its jobs never complete and partition 1's does
    assert dropped == 2
    assert ran == ["p1-a"]


@run_async
async def test_a_key_resubmitted_after_cancel_gets_a_fresh_chain():
    gate = asyncio.Event()
    ran: list[str] = []

    async def run(job: str) -> None:
        if job == "old":
            await gate.wait()
        ran.append(job)

    scheduler: KeyedScheduler[str] = KeyedScheduler(run)
    scheduler.submit("k", "old")
    await asyncio.sleep(0)
    scheduler.cancel(lambda key: True)
    scheduler.submit("k", "new")
    assert await scheduler.wait_idle(1)
    assert ran == ["new"]


@run_async
async def test_wait_drained_reports_a_spent_budget():
    scheduler: KeyedScheduler[str] = KeyedScheduler(lambda job: asyncio.sleep(1))
    scheduler.submit("k", "job")
    assert await scheduler.wait_drained(lambda key: key == "k", 0.05) is False
    assert scheduler.cancel(lambda key: True) == 1
