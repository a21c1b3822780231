"""One record to exactly one terminal state, with an in-memory publisher and fake use cases."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from schemas.deadletter import read_dead_letter
from tests.runtime.aio import run_async
from tests.runtime.harness import Harness, inbound
from workers.amili.errors import AccessDenied, EndpointError, RejectedError, TransientError
from workers.runtime.breaker import CircuitBreaker
from workers.runtime.consumer import Inbound
from workers.runtime.context import Context, Succeeded
from workers.runtime.handling import REDRIVE_COUNT_HEADER


async def _ok(data: Any, ctx: Context) -> Succeeded:
    return Succeeded(amili_ids={"case": "c1"})


@run_async
async def test_success_publishes_one_succeeded_outcome_and_finishes():
    h = Harness(_ok)
    record = inbound()
    await h.handle(record)
    assert h.statuses() == ["succeeded"]
    assert h.publisher.on("out")[0][1] == record.key
    assert h.finished == [record]
    assert h.contexts[0].reconcile is False


@run_async
async def test_duplicate_event_id_gets_the_same_outcome_without_a_call():
    h = Harness(_ok)
    await h.handle(inbound())
    await h.handle(inbound())
    assert len(h.contexts) == 1
    first, second = h.publisher.on("out")
    assert first[2] == second[2]
    assert h.metrics.events_finished.labels("apply", "duplicate")._value.get() == 1


@run_async
async def test_rejection_becomes_a_rejected_outcome_with_the_field_errors():
    async def reject(data: Any, ctx: Context) -> Succeeded:
        raise RejectedError("no", status=422, issues={"data.amount": "too large"})

    h = Harness(reject)
    await h.handle(inbound())
    assert h.statuses() == ["rejected"]
    errors = orjson.loads(h.publisher.on("out")[0][2])["data"]["errors"]
    assert errors == [{"field": "data.amount", "rule": "rejected", "message": "too large"}]
    assert h.publisher.on("in.dlq") == []


@run_async
async def test_transient_errors_retry_in_reconcile_mode_after_a_write_that_may_have_landed():
    calls = 0

    async def flaky(data: Any, ctx: Context) -> Succeeded:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TransientError("read timeout", may_have_landed=True)
        return Succeeded()

    h = Harness(flaky)
    await h.handle(inbound())
    assert [c.reconcile for c in h.contexts] == [False, True]
    assert [c.attempt for c in h.contexts] == [1, 2]
    assert h.statuses() == ["succeeded"]


@run_async
async def test_budget_spent_dead_letters_with_context_and_an_outcome():
    async def down(data: Any, ctx: Context) -> Succeeded:
        raise TransientError("bad gateway", status=502, response_excerpt="upstream")

    h = Harness(down, max_attempts=3)
    record = inbound(headers=[("trace", b"x"), (REDRIVE_COUNT_HEADER, b"1")])
    await h.handle(record)
    (letter,) = h.publisher.on("in.dlq")
    assert (letter[1], letter[2]) == (record.key, record.value)
    info = read_dead_letter(letter[3])
    assert (info.attempts, info.error_class, info.http_status, info.redrive_count) == (3, "TransientError", 502, 1)
    assert (info.original_topic, info.original_offset, info.consumer_group) == ("in", 7, "group")
    assert ("trace", b"x") in info.original_headers
    assert h.statuses() == ["dead_lettered"]
    assert h.contexts[0].reconcile is True  # a redriven record is always reconciled
    assert h.finished == [record]


@run_async
async def test_poison_is_dead_lettered_at_once_without_calling_the_use_case():
    h = Harness(_ok)
    await h.handle(inbound(value=b"not json"))
    await h.handle(inbound(value=b"{" + b" " * 20_000 + b"}"))
    assert h.contexts == []
    assert [read_dead_letter(s[3]).error_class for s in h.publisher.on("in.dlq")] == ["ContractError"] * 2
    # No envelope, yet an outcome each: named by the record's position and key.
    outcomes = h.outcomes()
    assert [o["status"] for o in outcomes] == ["dead_lettered"] * 2
    assert [o["record"] for o in outcomes] == [
        {"topic": "in", "partition": 0, "offset": 7, "key": "c0ffee000000000000000000:INV-1"}
    ] * 2
    assert outcomes[0]["source_event"] == {"id": "0:7", "type": "unreadable", "source": "urn:amili-fleet:record:in"}
    assert [e["field"] for e in outcomes[0]["errors"]] == ["value"]


@run_async
async def test_a_bug_in_the_use_case_is_dead_lettered_at_once():
    async def bug(data: Any, ctx: Context) -> Succeeded:
        raise KeyError("surprise")

    h = Harness(bug, max_attempts=5)
    await h.handle(inbound())
    assert len(h.contexts) == 1
    assert read_dead_letter(h.publisher.on("in.dlq")[0][3]).error_class == "KeyError"
    assert h.statuses() == ["dead_lettered"]


@run_async
async def test_cancelled_record_is_left_unfinished():
    async def slow(data: Any, ctx: Context) -> Succeeded:
        await asyncio.sleep(10)
        return Succeeded()

    h = Harness(slow)
    task = asyncio.ensure_future(h.handle(inbound()))
    await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert h.finished == []
    assert h.publisher.sent == []


def _from(source: str, event_id: str = "evt-42") -> Inbound:
    """The default record, re-sent as event `event_id` of producer `source`."""
    record = inbound()
    value = orjson.loads(record.value or b"{}")
    value.update(id=event_id, source=source)
    return inbound(value=orjson.dumps(value))


@run_async
async def test_one_id_from_two_sources_is_two_events():
    # CloudEvents ids are unique per source only: producer B's event 42 is not producer A's event 42.
    h = Harness(_ok)
    await h.handle(_from("urn:producer:a"))
    await h.handle(_from("urn:producer:b"))
    await h.handle(_from("urn:producer:a"))  # a real duplicate
    assert [c.envelope.source for c in h.contexts] == ["urn:producer:a", "urn:producer:b"]
    assert len({c.event_identity for c in h.contexts}) == 2
    assert h.metrics.events_finished.labels("apply", "duplicate")._value.get() == 1


@run_async
async def test_access_refusal_and_wrong_endpoint_are_dead_lettered_at_once_without_feeding_the_breaker():
    errors = [
        AccessDenied("POST /creditor--payments answered 403", status=403),
        EndpointError("POST /creditor--respites/{case_id} answered 405", status=405),
    ]

    async def refuse(data: Any, ctx: Context) -> Succeeded:
        raise errors[len(h.contexts) - 1]

    h = Harness(refuse, max_attempts=8)
    breaker = CircuitBreaker(window=2, min_calls=1, failure_ratio=0.5)
    h.handler.breaker = breaker
    await h.handle(inbound())
    await h.handle(_from("urn:other"))
    assert len(h.contexts) == 2  # one attempt each: no retry
    letters = [read_dead_letter(s[3]) for s in h.publisher.on("in.dlq")]
    assert [(i.error_class, i.attempts, i.http_status) for i in letters] == [
        ("AccessDenied", 1, 403),
        ("EndpointError", 1, 405),
    ]
    assert h.statuses() == ["dead_lettered", "dead_lettered"]
    assert not breaker.is_open  # Amili answered: no outage


@run_async
async def test_a_dead_letter_after_a_write_that_may_have_landed_says_so():
    async def timing_out(data: Any, ctx: Context) -> Succeeded:
        raise TransientError("read timeout", may_have_landed=len(h.contexts) == 1)

    h = Harness(timing_out, max_attempts=2)
    await h.handle(inbound())
    await h.handle(_from("urn:other"))  # only failed before sending: it cannot have landed
    outcomes = [orjson.loads(value)["data"] for _, _, value, _ in h.publisher.on("out")]
    assert [(o["status"], o["may_have_landed"]) for o in outcomes] == [
        ("dead_lettered", True),
        ("dead_lettered", False),
    ]


@run_async
async def test_amilis_action_status_travels_in_succeeded_and_rejected_outcomes():
    warning = Succeeded(amili_status="warning", amili_status_reason="creditor_payment.warning.case_closed")
    error = RejectedError(
        "no", issues={"data.amount": "x"}, amili_status="error", amili_status_reason="r.error.ambiguous"
    )

    async def act(data: Any, ctx: Context) -> Succeeded:
        if len(h.contexts) == 2:
            raise error
        return warning

    h = Harness(act)
    await h.handle(inbound())
    await h.handle(_from("urn:other"))
    outcomes = [orjson.loads(value)["data"] for _, _, value, _ in h.publisher.on("out")]
    assert [(o["status"], o["amili_status"]) for o in outcomes] == [
        ("succeeded", {"status": "warning", "reason": "creditor_payment.warning.case_closed"}),
        ("rejected", {"status": "error", "reason": "r.error.ambiguous"}),
    ]
