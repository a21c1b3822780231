"""A stream carrying several event types: each record goes to the use case of its CloudEvents type, and a
type the stream does not carry is dead-lettered with the reason, never handed to a use case."""

from __future__ import annotations

from typing import Any

import orjson

from schemas import jsonio
from schemas.catalog import USE_CASES
from schemas.deadletter import read_dead_letter
from schemas.samples import example_json, example_key
from tests.runtime.aio import run_async
from tests.runtime.harness import Harness, inbound
from workers.runtime.context import Context, Succeeded

PAYMENT = USE_CASES["register_payment"].event_type
INVITE = USE_CASES["invite_user"].event_type
UNKNOWN = "se.amili-fleet.billing.invoice-teleported.v1"


async def _ok(data: Any, ctx: Context) -> Succeeded:
    return Succeeded()


def _structured(event_type: str, type_: str | None = None) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    body = example_json(event_type)
    body["type"] = type_ or event_type
    return example_key(event_type).encode(), jsonio.dumps(body), []


def _binary(event_type: str, type_: str | None = None) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The same event in binary mode: attributes as ce_* headers, the data alone as the value."""
    body = example_json(event_type)
    body["id"] += "-binary"  # another event than the structured example
    headers = [(f"ce_{name}", str(body[name]).encode()) for name in ("id", "source", "specversion", "time")]
    headers += [("ce_type", (type_ or event_type).encode()), ("content-type", b"application/json")]
    return example_key(event_type).encode(), jsonio.dumps(body["data"]), headers


def _refusal(h: Harness) -> tuple[Any, dict[str, Any]]:
    (letter,) = h.publisher.on("in.dlq")
    (outcome,) = h.outcomes()
    return read_dead_letter(letter[3]), outcome


@run_async
async def test_each_type_goes_to_its_own_use_case_in_either_mode():
    h = Harness(_ok, others={PAYMENT: "register_payment"})
    await h.handle(inbound())  # the stream's case-status request
    for key, value, headers in (_structured(PAYMENT), _binary(PAYMENT)):
        await h.handle(inbound(key=key, value=value, headers=headers))
    assert [c.use_case for c in h.contexts] == ["apply", "register_payment", "register_payment"]
    assert [(o["use_case"], o["status"]) for o in h.outcomes()] == [
        ("apply", "succeeded"),
        ("register_payment", "succeeded"),
        ("register_payment", "succeeded"),
    ]
    assert h.count(h.metrics.events_finished, "register_payment", "succeeded") == 2
    assert h.publisher.on("in.dlq") == []


@run_async
async def test_an_unknown_type_is_dead_lettered_under_the_stream_naming_the_type_field():
    h = Harness(_ok, others={PAYMENT: "register_payment"})
    key, value, headers = _structured(PAYMENT, UNKNOWN)
    await h.handle(inbound(key=key, value=value, headers=headers))
    assert h.contexts == []
    info, outcome = _refusal(h)
    assert (info.use_case, info.error_class, info.consumer_group) == ("mixed", "ContractError", "group")
    assert outcome["status"] == "dead_lettered"
    assert [(e["field"], e["rule"]) for e in outcome["errors"]] == [("type", "unknown_type")]
    assert h.count(h.metrics.dead_letters, "mixed", "ContractError") == 1


@run_async
async def test_another_streams_type_is_dead_lettered_never_handed_to_a_use_case():
    h = Harness(_ok, others={PAYMENT: "register_payment"})
    key, value, headers = _binary(INVITE)  # a valid user invitation, on a stream that does not carry it
    await h.handle(inbound(key=key, value=value, headers=headers))
    assert h.contexts == []
    info, outcome = _refusal(h)
    assert info.use_case == "mixed"
    (error,) = outcome["errors"]
    assert (error["field"], error["rule"]) == ("ce_type", "wrong_stream")
    assert "stream mixed (in) does not carry this event type; it is for invite_user" in error["message"]
    assert "wrong_stream" in info.error_message


@run_async
async def test_a_carried_type_with_bad_data_is_labelled_with_its_use_case():
    h = Harness(_ok, others={PAYMENT: "register_payment"})
    key, value, headers = _structured(PAYMENT)
    body = orjson.loads(value)
    body["data"]["amount"] = "10.005"
    await h.handle(inbound(key=key, value=jsonio.dumps(body), headers=headers))
    info, outcome = _refusal(h)
    assert (info.use_case, outcome["use_case"]) == ("register_payment", "register_payment")
    assert outcome["errors"][0]["field"] == "data.amount"
    assert h.count(h.metrics.events_finished, "register_payment", "dead_lettered") == 1
