"""The bounded wait for a case Amili does not hold yet.

A follow-up (payment, credit, document, ...) can reach Amili before its claim's registration: on the
per-type topics, when the registration is made in the Amili App, or when a producer is late. The use
case raises `CaseNotFoundError`; the runtime, not the use case, then keeps looking with the retry
policy's backoff (tenacity, jitter) for `await_case_seconds`, and only after that answers with the
rejection the error carries. While it waits the record holds no in-flight slot (other keys flow), its
look-ups count as answers for the circuit breaker (Amili is fine) and they spend none of the record's
transient retry budget. `amili_fleet_case_waits_total{use_case,event}` counts waits started, cases
found and waits given up; `amili_fleet_awaiting_case{use_case}` is how many records wait now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from workers.amili.errors import CaseNotFoundError
from workers.runtime.metrics import Metrics
from workers.runtime.retry import RetryPolicy

#: The `event` label values of amili_fleet_case_waits_total.
WAIT_EVENTS: Final = ("started", "found", "gave_up")


def awaits_case(exc: BaseException) -> bool:
    """Is this failure "Amili has no such case yet"?"""
    return isinstance(exc, CaseNotFoundError)


class CaseWait:
    """One record's wait for its case: begun by the first "no case", ended by the case or the deadline."""

    def __init__(
        self,
        use_case: str,
        seconds: float,
        policy: RetryPolicy,
        metrics: Metrics,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.use_case = use_case
        self.seconds = seconds
        self.policy = policy
        self.metrics = metrics
        self.clock = clock
        self.started: float | None = None
        self.looks = 0
        self._open = False

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def missing(self) -> float | None:
        """Amili has no case yet: the pause before the next look-up, or None when the wait is over."""
        now = self.clock()
        if self.started is None:
            self.started = now
            self._open = True
            self.metrics.case_waits.labels(self.use_case, "started").inc()
            self.metrics.awaiting_case.labels(self.use_case).inc()
        self.looks += 1
        remaining = self.started + self.seconds - now
        if remaining <= 0:
            self._end("gave_up")
            return None
        # Never sleep past the deadline: the last look-up happens right at it.
        return min(self.policy.delay(self.looks), remaining)

    def found(self) -> None:
        """A later attempt got past the look-up: the case exists now."""
        if self._open:
            self._end("found")

    def close(self) -> None:
        """The record ended otherwise (dead-lettered, abandoned on revocation): it no longer waits."""
        if self._open:
            self._open = False
            self.metrics.awaiting_case.labels(self.use_case).dec()

    def _end(self, event: str) -> None:
        self.metrics.case_waits.labels(self.use_case, event).inc()
        self.close()
