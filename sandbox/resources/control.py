"""`/_sandbox/*`: the controls tests and the demo use (no token; never expose the sandbox publicly).

GET  /_sandbox/ledger[?case=&kind=&creditor=&natural_key=]   side effects, counts, duplicates
POST /_sandbox/reset                                         back to the seed (tokens survive)
GET  /_sandbox/stats                                         responses per endpoint and status
GET  /_sandbox/clock ; POST /_sandbox/clock/advance {"days": n} or {"seconds": n}
GET | PUT | POST | DELETE /_sandbox/faults                  show, set, clear fault injection
GET | PUT | DELETE /_sandbox/refused-fields                  strict Eve for chosen fields (sandbox.strict)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from sandbox import lifecycle
from sandbox.faults import FaultConfig
from sandbox.http import invalid, json_response, read_json
from sandbox.resources.common import sandbox_of
from sandbox.stats import stats_view
from sandbox.strict import RefusedFields

_MAX_ADVANCE_DAYS = 3650


async def ledger(request: Request) -> Response:
    return json_response(sandbox_of(request).store.ledger.view(dict(request.query_params)))


async def reset(request: Request) -> Response:
    sandbox_of(request).reset()
    return json_response({"_status": "OK"})


async def stats(request: Request) -> Response:
    return json_response(stats_view(sandbox_of(request).stats))


async def clock(request: Request) -> Response:
    store = sandbox_of(request).store
    return json_response({"now": store.now(), "offset_seconds": store.clock.offset.total_seconds()})


async def advance_clock(request: Request) -> Response:
    body = await read_json(request)
    if not isinstance(body, dict) or not body.keys() & {"days", "seconds"} or body.keys() - {"days", "seconds"}:
        raise invalid({"days": 'send {"days": n} and/or {"seconds": n}'})
    seconds = Decimal(0)
    for name, factor in (("days", 86400), ("seconds", 1)):
        value = body.get(name, 0)
        if isinstance(value, bool) or not isinstance(value, int | Decimal) or value < 0:
            raise invalid({name: "must be a number >= 0"})
        seconds += Decimal(value) * factor
    if seconds > _MAX_ADVANCE_DAYS * 86400:
        raise invalid({"days": f"at most {_MAX_ADVANCE_DAYS} days at once"})
    store = sandbox_of(request).store
    before = store.clock.now()
    store.clock.advance(float(seconds))
    ran = lifecycle.tick(store, since=before)
    return json_response({"now": store.now(), "transitions": ran})


async def get_faults(request: Request) -> Response:
    return json_response(sandbox_of(request).faults.view())


async def set_faults(request: Request) -> Response:
    body: Any = await read_json(request)
    if isinstance(body, list):
        body = {"rules": body}
    try:
        config = FaultConfig.model_validate(body)
    except ValidationError as exc:
        issues = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        raise invalid(issues) from exc
    sandbox_of(request).faults.set(config)
    return json_response(sandbox_of(request).faults.view())


async def clear_faults(request: Request) -> Response:
    sandbox_of(request).faults.set(FaultConfig())
    return json_response({"_status": "OK"})


async def get_refused_fields(request: Request) -> Response:
    return json_response(sandbox_of(request).refused_fields.model_dump())


async def set_refused_fields(request: Request) -> Response:
    try:
        rules = RefusedFields.model_validate(await read_json(request))
    except ValidationError as exc:
        issues = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        raise invalid(issues) from exc
    sandbox_of(request).refused_fields = rules
    return json_response(rules.model_dump())


async def clear_refused_fields(request: Request) -> Response:
    sandbox_of(request).refused_fields = RefusedFields()
    return json_response({"_status": "OK"})


def register(app: FastAPI) -> None:
    routes: list[tuple[str, Any, list[str]]] = [
        ("/_sandbox/ledger", ledger, ["GET"]),
        ("/_sandbox/reset", reset, ["POST"]),
        ("/_sandbox/stats", stats, ["GET"]),
        ("/_sandbox/clock", clock, ["GET"]),
        ("/_sandbox/clock/advance", advance_clock, ["POST"]),
        ("/_sandbox/faults", get_faults, ["GET"]),
        ("/_sandbox/faults", set_faults, ["PUT", "POST"]),
        ("/_sandbox/faults", clear_faults, ["DELETE"]),
        ("/_sandbox/refused-fields", get_refused_fields, ["GET"]),
        ("/_sandbox/refused-fields", set_refused_fields, ["PUT", "POST"]),
        ("/_sandbox/refused-fields", clear_refused_fields, ["DELETE"]),
    ]
    for path, handler, methods in routes:
        app.add_api_route(path, handler, methods=methods, include_in_schema=False)
