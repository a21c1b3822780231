"""Error classes and the retry policy of one use case (tenacity: exponential backoff with jitter).

    transient   TransientError (timeouts, connection errors, 5xx), RateLimited (429, Retry-After
                honoured), AuthError (the process's credential refused: Amili-wide, so it feeds the breaker)
                -> retry while the budget lasts, then dead letter
    rejected    RejectedError, NotFoundError, ConflictError: Amili answered no -> `rejected` outcome
    dead_letter AccessDenied (403: this record's creditor is outside our access), EndpointError (404/405
                on an endpoint: our request is wrong) -> dead letter at once, redrivable once fixed;
                Amili answered, so the breaker counts it as healthy and other records flow on
    fatal       anything else (a bug, an unexpected response shape) -> dead letter at once

The budget is attempts and seconds per record; time spent waiting for the circuit breaker and
attempts made as the breaker's probe do not count, so an outage does not burn every record's budget.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tenacity import RetryCallState, wait_exponential_jitter

from workers.amili.errors import (
    AccessDenied,
    AuthError,
    ConflictError,
    EndpointError,
    NotFoundError,
    RateLimited,
    RejectedError,
    TransientError,
)


class ErrorKind(enum.Enum):
    TRANSIENT = "transient"
    REJECTED = "rejected"
    DEAD_LETTER = "dead_letter"
    FATAL = "fatal"


def classify(exc: BaseException) -> ErrorKind:
    if isinstance(exc, TransientError | AuthError):
        return ErrorKind.TRANSIENT
    if isinstance(exc, RejectedError | NotFoundError | ConflictError):
        return ErrorKind.REJECTED
    if isinstance(exc, AccessDenied | EndpointError):
        return ErrorKind.DEAD_LETTER
    return ErrorKind.FATAL


def error_class(exc: BaseException) -> str:
    """Short stable name for logs, metric labels and dead-letter headers."""
    name = getattr(exc, "error_class", None)
    return name if isinstance(name, str) else type(exc).__name__


@dataclass(frozen=True)
class RetryPolicy:
    """How long one record may keep failing transiently."""

    max_attempts: int = 8
    budget_seconds: float = 900.0
    initial_seconds: float = 0.5
    max_seconds: float = 60.0

    def delay(self, attempt: int, exc: BaseException | None = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based).

        Exponential with full jitter on top (tenacity); a Retry-After from Amili is a floor, since
        coming back earlier would only be refused again.
        """
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempt
        wait = wait_exponential_jitter(
            multiplier=self.initial_seconds, max=self.max_seconds, jitter=self.initial_seconds
        )
        seconds = float(wait(state))
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            seconds = max(seconds, float(exc.retry_after))
        return seconds


@dataclass
class Budget:
    """One record's retry spending: counted attempts and seconds, excluding breaker waits and probes."""

    policy: RetryPolicy
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    attempts: int = 0
    free_attempts: int = 0
    waited_seconds: float = 0.0
    started: float = field(default=0.0)
    first_failure: float | None = None  # wall-clock seconds, for the dead-letter headers
    last_failure: float | None = None
    may_have_landed: bool = False

    def __post_init__(self) -> None:
        self.started = self._now()

    def _now(self) -> float:
        return self.clock()

    def attempt_started(self, *, probe: bool) -> int:
        self.attempts += 1
        if probe:
            self.free_attempts += 1
        return self.attempts

    def failed(self, exc: BaseException) -> None:
        now = time.time()
        self.first_failure = self.first_failure or now
        self.last_failure = now
        if getattr(exc, "may_have_landed", False):
            self.may_have_landed = True

    def spent_seconds(self) -> float:
        return self._now() - self.started - self.waited_seconds

    def exhausted(self) -> bool:
        counted = self.attempts - self.free_attempts
        return counted >= self.policy.max_attempts or self.spent_seconds() >= self.policy.budget_seconds

    def next_delay(self, exc: BaseException) -> float:
        """The pause before the next attempt, never past the remaining time budget by much."""
        return self.policy.delay(max(self.attempts - self.free_attempts, 1), exc)
