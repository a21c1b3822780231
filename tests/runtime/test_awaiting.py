"""A follow-up whose case Amili does not hold yet waits (bounded) for it instead of being rejected at once:
backoff without a slot held, no breaker trouble, no transient budget spent, then today's rejection."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from tests.fixtures.runtime import EVENT_TYPE, event
from tests.runtime.aio import run_async
from tests.runtime.harness import Harness, inbound
from workers.amili.errors import CaseNotFoundError, TransientError
from workers.runtime.breaker import CircuitBreaker, State
from workers.runtime.context import Context, Succeeded
from workers.runtime.scheduler import InFlightLimit

FIELD = "data.case.invoice_number"


def _missing() -> CaseNotFoundError:
    return CaseNotFoundError("no case", issues={FIELD: "no case with this invoice number at Amili"})


def _script(*steps: BaseException | None) -> Any:
    """A use case that raises the given errors in turn, then succeeds (None: succeed at that step)."""
    queue: Iterator[BaseException | None] = iter(steps)

    async def run(data: Any, ctx: Context) -> Succeeded:
        step = next(queue, None)
        if step is not None:
            raise step
        return Succeeded(amili_ids={"case": "c1"})

    return run


def _waits(h: Harness) -> dict[str, float]:
    return {e: h.count(h.metrics.case_waits, "apply", e) for e in ("started", "found", "gave_up")}


@run_async
async def test_the_case_appearing_during_the_wait_ends_in_success_without_spending_the_budget():
    breaker = CircuitBreaker(window=2, min_calls=2)  # two failures in a row would open it
    h = Harness(_script(_missing(), _missing(), _missing()), max_attempts=1, await_case_seconds=5, breaker=breaker)
    await h.handle(inbound())
    assert h.statuses() == ["succeeded"]
    assert len(h.contexts) == 4
    assert _waits(h) == {"started": 1, "found": 1, "gave_up": 0}
    assert h.count(h.metrics.awaiting_case, "apply") == 0
    assert breaker.state is State.CLOSED
    assert [m.samples for m in h.metrics.retries.collect()] == [[]]  # waiting is not retrying


@run_async
async def test_transient_failures_during_the_wait_keep_their_own_budget():
    # Two counted attempts allowed; the look-ups that found no case do not count, nor does the time they took.
    steps = (_missing(), _missing(), TransientError("bad gateway", status=502), _missing(), _missing())
    # Every pause is at least 30 ms, so the two look-ups before the 502 take longer than the 50 ms budget.
    h = Harness(_script(*steps), max_attempts=2, retry_seconds=0.05, backoff_seconds=0.03, await_case_seconds=5)
    await h.handle(inbound())
    assert h.statuses() == ["succeeded"]
    assert h.count(h.metrics.retries, "apply", "TransientError") == 1


@run_async
async def test_no_case_after_the_wait_is_rejected_with_the_field_error():
    h = Harness(_script(*[_missing()] * 1000), await_case_seconds=0.05)
    await h.handle(inbound())
    (outcome,) = h.outcomes()
    assert outcome["status"] == "rejected"
    assert outcome["errors"] == [
        {"field": FIELD, "rule": "rejected", "message": "no case with this invoice number at Amili"}
    ]
    assert outcome["detail"] == {"awaited_case_seconds": 0.05}
    assert len(h.contexts) > 2  # it kept looking
    assert _waits(h) == {"started": 1, "found": 0, "gave_up": 1}
    assert h.count(h.metrics.awaiting_case, "apply") == 0
    assert h.publisher.on("in.dlq") == []


@run_async
async def test_a_wait_of_zero_rejects_at_once():
    h = Harness(_script(_missing()), await_case_seconds=0)
    await h.handle(inbound())
    assert h.statuses() == ["rejected"]
    assert len(h.contexts) == 1
    assert _waits(h)["started"] == 0


@run_async
async def test_a_waiting_record_holds_no_slot_so_other_keys_flow():
    other_done = asyncio.Event()

    async def run(data: Any, ctx: Context) -> Succeeded:
        if ctx.envelope.id == "waits" and not other_done.is_set():
            raise _missing()
        if ctx.envelope.id == "flows":
            other_done.set()
        return Succeeded()

    h = Harness(run, await_case_seconds=5)
    h.stream.use_cases[EVENT_TYPE].limit = InFlightLimit(1)
    h.handler.limit = InFlightLimit(1)
    key_a, value_a, _ = event(1, 0, event_id="waits")
    key_b, value_b, _ = event(2, 0, event_id="flows")
    waiting = asyncio.ensure_future(h.handle(inbound(key=key_a, value=value_a)))
    await asyncio.sleep(0.01)
    await asyncio.wait_for(h.handle(inbound(key=key_b, value=value_b)), 2)  # not blocked behind the wait
    await asyncio.wait_for(waiting, 2)
    assert h.statuses() == ["succeeded", "succeeded"]
    assert _waits(h) == {"started": 1, "found": 1, "gave_up": 0}
