"""The circuit breaker: opens on a failure ratio, lets one probe through, backs off while probes fail."""

from __future__ import annotations

import asyncio

from tests.runtime.aio import run_async
from workers.runtime.breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _breaker(clock: Clock, changes: list[State] | None = None) -> CircuitBreaker:
    return CircuitBreaker(
        window=10,
        min_calls=4,
        failure_ratio=0.5,
        open_seconds=2,
        max_open_seconds=5,
        clock=clock,
        on_change=(changes.append if changes is not None else None),
    )


def test_stays_closed_below_the_failure_ratio_and_minimum_calls():
    breaker = _breaker(Clock())
    for success in (False, False, False):  # 100% failed, but fewer than min_calls
        breaker.record(success)
    assert breaker.state is State.CLOSED
    breaker = _breaker(Clock())
    for success in (True, True, False, True, False, True, True):  # never half of them failed
        breaker.record(success)
        assert breaker.state is State.CLOSED


def test_opens_then_one_probe_closes_it():
    # Given a breaker that saw 3 failures in 4 calls
    clock, changes = Clock(), list[State]()
    breaker = _breaker(clock, changes)
    for success in (False, True, False, False):
        breaker.record(success)
    # Then calls must wait for the open period
    assert breaker.state is State.OPEN
    turn = breaker.decide()
    assert (turn.allowed, turn.wait_seconds) == (False, 2)
    # When the period is over, exactly one caller probes
    clock.now += 2
    probe = breaker.decide()
    assert (probe.allowed, probe.probe) == (True, True)
    assert breaker.decide().allowed is False
    # and its success closes the breaker
    breaker.record(True, probe=True)
    assert breaker.decide().allowed is True
    assert changes == [State.OPEN, State.HALF_OPEN, State.CLOSED]


def test_failed_probes_double_the_pause_up_to_the_cap():
    clock = Clock()
    breaker = _breaker(clock)
    for _ in range(4):
        breaker.record(False)
    pauses = []
    for _ in range(3):
        wait = breaker.decide().wait_seconds
        pauses.append(wait)
        clock.now += wait
        assert breaker.decide().probe
        breaker.record(False, probe=True)
    assert pauses == [2, 4, 5]


def test_results_of_calls_started_before_opening_are_ignored():
    breaker = _breaker(Clock())
    for _ in range(4):
        breaker.record(False)
    breaker.record(True)  # a slow call that began while closed
    assert breaker.state is State.OPEN


def test_an_abandoned_probe_lets_another_caller_probe():
    clock = Clock()
    breaker = _breaker(clock)
    for _ in range(4):
        breaker.record(False)
    clock.now += 2
    assert breaker.decide().probe
    breaker.probe_abandoned()
    assert breaker.decide().probe


@run_async
async def test_waiters_wake_when_the_probe_closes_the_breaker():
    # Given an open breaker (real clock, short pause) and three waiting callers
    breaker = CircuitBreaker(window=4, min_calls=2, failure_ratio=0.5, open_seconds=0.05, max_open_seconds=0.1)
    breaker.record(False)
    breaker.record(False)
    turns = [asyncio.ensure_future(breaker.wait_turn()) for _ in range(3)]
    await asyncio.sleep(0.1)
    # Then exactly one of them got through, as the probe
    done = [t for t in turns if t.done()]
    assert len(done) == 1
    assert done[0].result().probe
    # When the probe succeeds, the others get plain turns
    breaker.record(True, probe=True)
    rest = await asyncio.gather(*[t for t in turns if not t.done()])
    assert [t.probe for t in rest] == [False, False]
