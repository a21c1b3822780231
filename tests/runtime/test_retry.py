"""Error classes and the retry budget (attempts and seconds; breaker waits and probes are free)."""

from __future__ import annotations

import pytest

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
from workers.runtime.retry import Budget, ErrorKind, RetryPolicy, classify, error_class


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (TransientError("timeout", may_have_landed=True), ErrorKind.TRANSIENT),
        (RateLimited("429", retry_after=3), ErrorKind.TRANSIENT),
        (AuthError("401"), ErrorKind.TRANSIENT),
        (RejectedError("422", issues={"amount": "too big"}), ErrorKind.REJECTED),
        (NotFoundError("404"), ErrorKind.REJECTED),
        (ConflictError("409"), ErrorKind.REJECTED),
        (AccessDenied("403", status=403), ErrorKind.DEAD_LETTER),
        (EndpointError("405", status=405), ErrorKind.DEAD_LETTER),
        (KeyError("surprise"), ErrorKind.FATAL),
    ],
)
def test_classification(error, kind):
    assert classify(error) is kind


def test_error_class_prefers_the_amili_name():
    assert error_class(RateLimited("429")) == "RateLimited"
    assert error_class(ValueError("x")) == "ValueError"


def test_delay_grows_exponentially_with_jitter_and_is_capped():
    policy = RetryPolicy(initial_seconds=1, max_seconds=8)
    delays = [policy.delay(attempt) for attempt in range(1, 7)]
    assert 1 <= delays[0] <= 2
    assert 4 <= delays[2] <= 8
    assert all(d <= 8 for d in delays)


def test_retry_after_is_a_floor():
    policy = RetryPolicy(initial_seconds=0.1, max_seconds=1)
    assert policy.delay(1, RateLimited("slow down", retry_after=30)) == 30


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_budget_counts_attempts_but_not_probes():
    budget = Budget(RetryPolicy(max_attempts=3, budget_seconds=100), clock=Clock())
    budget.attempt_started(probe=False)
    budget.attempt_started(probe=True)
    budget.attempt_started(probe=False)
    assert not budget.exhausted()
    budget.attempt_started(probe=False)
    assert budget.exhausted()


def test_budget_time_excludes_breaker_waits():
    clock = Clock()
    budget = Budget(RetryPolicy(max_attempts=100, budget_seconds=10), clock=clock)
    clock.now = 30
    budget.waited_seconds = 25
    assert not budget.exhausted()
    clock.now = 36
    assert budget.exhausted()


def test_may_have_landed_sticks_once_seen():
    budget = Budget(RetryPolicy())
    budget.failed(TransientError("read timeout", may_have_landed=True))
    budget.failed(TransientError("connect refused"))
    assert budget.may_have_landed
    assert budget.first_failure is not None
    assert budget.last_failure is not None
    assert budget.last_failure >= budget.first_failure
