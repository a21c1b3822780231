"""Circuit breaker over Amili as a whole: an outage pauses work instead of burning every record's budget.

closed --(failure ratio over the last `window` calls >= threshold)--> open
open --(pause elapsed; the next caller becomes the single probe)--> half_open
half_open --(probe succeeds)--> closed;  --(probe fails)--> open again, with the pause doubled (capped)

The state machine is pure and clock-injected (`decide`, `record`); `wait_turn` is the asyncio wrapper
the engine awaits before each Amili attempt. Rejections count as successes: Amili answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


class State(enum.Enum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


@dataclass(frozen=True)
class Turn:
    """What a caller may do now: go ahead (maybe as the probe), or wait `wait_seconds` and ask again."""

    allowed: bool
    probe: bool = False
    wait_seconds: float = 0.0


class CircuitBreaker:
    """Failure-ratio breaker with a single half-open probe and exponential open periods."""

    def __init__(
        self,
        *,
        window: int = 20,
        min_calls: int = 10,
        failure_ratio: float = 0.5,
        open_seconds: float = 5.0,
        max_open_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[State], None] | None = None,
    ) -> None:
        self.window = window
        self.min_calls = min_calls
        self.failure_ratio = failure_ratio
        self.open_seconds = open_seconds
        self.max_open_seconds = max_open_seconds
        self.clock = clock
        self.on_change = on_change
        self.state = State.CLOSED
        self._results: deque[bool] = deque(maxlen=window)
        self._open_until = 0.0
        self._pause = open_seconds
        self._probe_out = False
        # Since Python 3.10 an Event binds to a loop only when first awaited, so creating it here is fine.
        self._changed = asyncio.Event()

    # --- pure state machine ---------------------------------------------------------------------

    def decide(self) -> Turn:
        """May a call start now? Moves open -> half_open when the pause is over (this caller probes)."""
        if self.state is State.CLOSED:
            return Turn(allowed=True)
        if self.state is State.OPEN:
            remaining = self._open_until - self.clock()
            if remaining > 0:
                return Turn(allowed=False, wait_seconds=remaining)
            self._set(State.HALF_OPEN)
        if self._probe_out:
            return Turn(allowed=False, wait_seconds=self._pause)
        self._probe_out = True
        return Turn(allowed=True, probe=True)

    def record(self, success: bool, *, probe: bool = False) -> None:
        """Report one Amili call's result (success = Amili answered, even with a rejection)."""
        if probe:
            self._probe_out = False
            if success:
                self._results.clear()
                self._pause = self.open_seconds
                self._set(State.CLOSED)
            else:
                self._pause = min(self._pause * 2, self.max_open_seconds)
                self._open()
            return
        if self.state is not State.CLOSED:
            return  # results of calls started before the breaker opened say nothing new
        self._results.append(success)
        failures = self._results.count(False)
        if len(self._results) >= self.min_calls and failures / len(self._results) >= self.failure_ratio:
            self._open()

    def probe_abandoned(self) -> None:
        """The probe never reached Amili (cancelled): let another caller probe."""
        self._probe_out = False

    @property
    def is_open(self) -> bool:
        return self.state is not State.CLOSED

    def _open(self) -> None:
        self._open_until = self.clock() + self._pause
        self._set(State.OPEN)

    def _set(self, state: State) -> None:
        if state is self.state:
            return
        self.state = state
        if self.on_change is not None:
            self.on_change(state)
        self._changed.set()
        self._changed = asyncio.Event()

    # --- asyncio wrapper ------------------------------------------------------------------------

    async def wait_turn(self) -> Turn:
        """Wait until a call may start; returns the turn (probe or not). Time spent here is not budget."""
        while True:
            turn = self.decide()
            if turn.allowed:
                return turn
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout=max(turn.wait_seconds, 0.01))
