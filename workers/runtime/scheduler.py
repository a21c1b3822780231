"""Key-ordered concurrency: jobs with the same chain key run strictly in order, different keys at once.

Each busy key has one chain (a deque whose head is the running job) driven by one asyncio task, so a
key that waits out a retry holds up only itself. How many jobs touch Amili at the same moment is
bounded separately by `InFlightLimit`, which the job runner takes around each attempt and releases
while it sleeps between attempts. Pure asyncio; the engine supplies the runner.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")


class InFlightLimit:
    """A counting limit on concurrent attempts, with the current count for the in-flight gauge."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self._semaphore = asyncio.Semaphore(limit)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._semaphore:
            self.in_flight += 1
            try:
                yield
            finally:
                self.in_flight -= 1


class KeyedScheduler(Generic[J]):
    """Runs `run(job)` per chain key in submission order; the runner must not raise."""

    def __init__(self, run: Callable[[J], Awaitable[None]]) -> None:
        self._run = run
        self._chains: dict[Hashable, deque[J]] = {}
        self._tasks: dict[Hashable, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, key: Hashable, job: J) -> None:
        chain = self._chains.get(key)
        if chain is not None:
            chain.append(job)
            return
        self._chains[key] = deque([job])
        self._idle.clear()
        self._tasks[key] = asyncio.get_running_loop().create_task(self._drive(key), name=f"chain {key!r}")

    async def _drive(self, key: Hashable) -> None:
        chain = self._chains[key]
        try:
            while chain:
                try:
                    await self._run(chain[0])
                except Exception:  # the runner handles its own errors; this only keeps the chain alive
                    log.exception("job runner raised; the job is dropped from its chain")
                if chain:  # a cancel() may have emptied it meanwhile
                    chain.popleft()
        finally:
            # After a cancel() the key may already carry a new chain; leave that one alone.
            if self._chains.get(key) is chain:
                del self._chains[key]
                self._tasks.pop(key, None)
            if not self._chains:
                self._idle.set()

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return sum(len(chain) for chain in self._chains.values())

    @property
    def busy_keys(self) -> int:
        return len(self._chains)

    def pending_where(self, predicate: Callable[[Hashable], bool]) -> int:
        return sum(len(chain) for key, chain in self._chains.items() if predicate(key))

    def cancel(self, predicate: Callable[[Hashable], bool]) -> int:
        """Drop every chain whose key matches (running jobs are cancelled); returns the jobs dropped."""
        dropped = 0
        for key in [k for k in self._chains if predicate(k)]:
            chain = self._chains.pop(key)
            dropped += len(chain)
            chain.clear()
            task = self._tasks.pop(key, None)
            if task is not None:
                task.cancel()
        if not self._chains:
            self._idle.set()
        return dropped

    async def wait_idle(self, budget: float) -> bool:
        """Wait until no job is queued or running; False when the budget (seconds) passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), budget)
        except TimeoutError:
            return False
        return True

    async def wait_drained(self, predicate: Callable[[Hashable], bool], budget: float, step: float = 0.02) -> bool:
        """Wait until no chain matching the predicate is left; False when the budget passed first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + budget
        while self.pending_where(predicate):
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(step)
        return True
