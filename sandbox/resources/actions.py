"""Creditor case actions: payments, creditings, cancellations and respites.

Payments, creditings and cancellations target a case by `case` or `invoice_number` (exactly one).
They answer a processing `status` (completed | warning | error) with a `status_reason_locale`:
an action on a closed case is a `warning` and changes nothing; an invoice number that matches
several cases (possible, since duplicates are not rejected) is an `error`. A `case` that is not the
creditor's is a 422 naming `case` (Eve's rule for a reference to a missing document). Respite takes the case
id in the path (`reading.RESPITE_PATH`) and postpones the case's next lifecycle step.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from sandbox import cases, lifecycle
from sandbox.auth import Principal
from sandbox.http import ApiError, created, invalid, read_json
from sandbox.reading import MAX_RESPITE_DAYS, RESPITE_COLLECTION, RESPITE_PATH
from sandbox.resources.common import add_collection, body_extra, caller, visible_doc, writable_creditor
from sandbox.resources.fields import CURRENCY, ORIGIN, S
from sandbox.store import Store
from sandbox.validation import Field, Schema, validate

_TARGET = {"account": Field("id"), "creditor": Field("id", required=True), "case": Field("id"), "invoice_number": S}
PAYMENT = {
    **_TARGET,
    "currency": CURRENCY,
    "amount": Field("number", required=True, positive=True),
    "bank_transaction_date": Field("date", required=True),
    "client_registration_date": Field("date"),
    "creditor_payment_reference": S,
    "origin": ORIGIN,
}
CREDITING = {
    **_TARGET,
    "currency": CURRENCY,
    "amount": Field("number", required=True, positive=True),
    "credit_invoice": S,
    "client_registration_date": Field("date"),
    "creditor_reference": S,
    "origin": ORIGIN,
}
CANCELLATION = {**_TARGET, "creditor_reference": S, "origin": ORIGIN}
RESPITE = {
    "account": Field("id"),
    "creditor": Field("id", required=True),
    "respite_until": Field("date", required=True),
    "reason": S,
    "creditor_reference": S,
    "origin": ORIGIN,
}
NATURAL_KEY = {
    "creditor--payments": "creditor_payment_reference",
    "creditor--creditings": "creditor_reference",
    "creditor--cancellations": "creditor_reference",
    "creditor--respites": "creditor_reference",
}


def _target(store: Store, who: Principal, schema: Schema, body: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Validate an action and find the case(s) it targets (several only for an ambiguous number)."""
    data, issues = validate(schema, body)
    if not issues and ("case" in data) == ("invoice_number" in data):
        issues["case"] = "exactly one of case or invoice_number is required"
    if issues:
        raise invalid(issues)
    creditor = writable_creditor(store, who, data["creditor"])
    if "case" in data:
        case = store.get("cases", data["case"])
        if case is None or case["creditor"] != creditor["_id"]:
            # Eve's data_relation: a body naming a document that is not there (for this creditor) is a 422.
            raise invalid({"case": f"value '{data['case']}' must exist in resource 'cases'"})
        return data, [case]
    ids = store.cases_by_invoice.get((creditor["_id"], data["invoice_number"]), [])
    if not ids:
        raise invalid({"invoice_number": "no case with this invoice number for the creditor"})
    return data, [store.docs["cases"][i] for i in ids]


def _record(
    store: Store, collection: str, data: dict[str, Any], case: dict[str, Any], result: dict[str, Any]
) -> dict[str, Any]:
    doc = store.insert(
        collection,
        {
            **data,
            "account": case["account"],
            "case": case["_id"],
            **result,
            "case_invoice_number": case["debt"]["invoice_number"],
            "case_reference_number": case["reference_number"],
        },
    )
    key_field = NATURAL_KEY.get(collection)
    key = data.get(key_field) if key_field else None
    if key is None and collection == "creditor--cancellations":
        key = case["_id"]  # without a reference a cancellation is one per case
    elif key is None and collection == "creditor--respites":
        key = f"{case['_id']}:{data['respite_until']}"  # ... and a respite one per case and date
    store.ledger.record(
        collection.removeprefix("creditor--").rstrip("s"),
        time=doc["_created"],
        creditor=case["creditor"],
        natural_key=f"{case['creditor']}:{key}" if key else None,
        ids={"document": doc["_id"], "case": case["_id"], "status": result["status"]},
        case=case["_id"],
    )
    return doc


def _answer(doc: dict[str, Any], status_field: str) -> Response:
    extra = {k: doc[k] for k in ("status", "status_reason_locale", "case_invoice_number", "case_reference_number")}
    extra[status_field] = doc["status"]
    if "settled_amount" in doc:
        extra["settled_amount"] = doc["settled_amount"]
    return created(doc, **extra)


def _outcome(kind: str, status: str, reason: str, settled: Decimal | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"status": status, "status_reason_locale": f"{kind}.{status}.{reason}"}
    if settled is not None:
        out["settled_amount"] = settled
    return out


def _ambiguous(targets: list[dict[str, Any]]) -> bool:
    return len([c for c in targets if cases.is_open(c)]) > 1


async def register_payment(request: Request) -> Response:
    _, store, who = caller(request)
    data, targets = _target(store, who, PAYMENT, await read_json(request))
    case = next((c for c in targets if cases.is_open(c)), targets[-1])
    amount = cases.money(data["amount"])
    if _ambiguous(targets):
        result = _outcome("creditor_payment", "error", "ambiguous_invoice_number", cases.ZERO)
    elif not cases.is_open(case):
        result = _outcome("creditor_payment", "warning", "case_closed", cases.ZERO)
    else:
        owed = cases.remaining(case)
        left = amount
        for part in ("costs", "interest", "capital"):  # räntelagen: costs, then interest, then capital
            left -= cases.settle(case, part, left)
        if amount >= owed:
            reason = "overpaid" if amount > owed else "paid_in_full"
            result = _outcome("creditor_payment", "warning" if amount > owed else "completed", reason, owed)
            cases.close(store, case, "paid")
        else:
            result = _outcome("creditor_payment", "completed", "residual_remains", amount)
            cases.touch_case(store, case)
    return _answer(_record(store, "creditor--payments", data, case, result), "_payment_status")


async def register_crediting(request: Request) -> Response:
    _, store, who = caller(request)
    data, targets = _target(store, who, CREDITING, await read_json(request))
    case = next((c for c in targets if cases.is_open(c)), targets[-1])
    amount = cases.money(data["amount"])
    if _ambiguous(targets):
        result = _outcome("creditor_crediting", "error", "ambiguous_invoice_number", cases.ZERO)
    elif not cases.is_open(case):
        result = _outcome("creditor_crediting", "warning", "case_closed", cases.ZERO)
    else:
        capital = case["local_remaining_capital_amount"]
        settled = cases.settle(case, "capital", amount)
        if amount >= capital:
            status = "warning" if amount > capital else "completed"
            reason = "exceeds_remaining_capital" if amount > capital else "credited_in_full"
            result = _outcome("creditor_crediting", status, reason, settled)
            cases.close(store, case, "credited")
        else:
            result = _outcome("creditor_crediting", "completed", "partially_credited", settled)
            cases.touch_case(store, case)
    return _answer(_record(store, "creditor--creditings", data, case, result), "_payment_status")


async def register_cancellation(request: Request) -> Response:
    _, store, who = caller(request)
    data, targets = _target(store, who, CANCELLATION, await read_json(request))
    open_cases = [c for c in targets if cases.is_open(c)]
    case = open_cases[0] if open_cases else targets[-1]
    if len(open_cases) > 1:
        result = _outcome("creditor_cancellation", "warning", "ambiguous_invoice_number")
    elif not cases.is_open(case):
        result = _outcome("creditor_cancellation", "warning", "case_closed")
    else:
        result = _outcome("creditor_cancellation", "completed", "cancelled")
        cases.close(store, case, "cancelled")
    return _answer(_record(store, "creditor--cancellations", data, case, result), "_cancellation_status")


async def grant_respite(request: Request, case_id: str) -> Response:
    _, store, who = caller(request)
    data, issues = validate(RESPITE, await read_json(request))
    if issues:
        raise invalid(issues)
    creditor = writable_creditor(store, who, data["creditor"])
    case = visible_doc(store, who, "cases", case_id)
    if case["creditor"] != creditor["_id"]:
        raise ApiError(404, "Resource Document Not Found")
    until = data["respite_until"].dt
    now = store.clock.now()
    if until <= now:
        raise invalid({"respite_until": "must lie in the future"})
    if MAX_RESPITE_DAYS is not None and until > now + timedelta(days=MAX_RESPITE_DAYS):
        raise invalid({"respite_until": f"must lie in the next {MAX_RESPITE_DAYS} days"})
    if cases.is_open(case):
        lifecycle.postpone(store, case["_id"], until)
        case["respite_until"] = data["respite_until"]
        cases.touch_case(store, case)
        result = _outcome("creditor_respite", "completed", "postponed")
    else:
        result = _outcome("creditor_respite", "warning", "case_closed")
    doc = _record(store, "creditor--respites", data, case, result)
    return _answer(doc, "_respite_status")


def register(app: FastAPI) -> None:
    for path, handler, schema in (
        ("/creditor--payments", register_payment, PAYMENT),
        ("/creditor--creditings", register_crediting, CREDITING),
        ("/creditor--cancellations", register_cancellation, CANCELLATION),
    ):
        app.add_api_route(
            path,
            handler,
            methods=["POST"],
            status_code=201,
            tags=["creditor actions"],
            openapi_extra=body_extra(schema),
        )
        add_collection(app, path.lstrip("/"), tag="creditor actions")
    app.add_api_route(
        RESPITE_PATH,
        grant_respite,
        methods=["POST"],
        status_code=201,
        tags=["creditor actions"],
        openapi_extra=body_extra(RESPITE),
    )
    add_collection(app, RESPITE_COLLECTION.lstrip("/"), tag="creditor actions")
