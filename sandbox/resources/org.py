"""Accounts, creditors and partners, and the access groups they come with; seeding of the organisation data.

Partner API: `POST /accounts` (with `initial_creditor_data`, answering `_creditor`), `POST /creditors`,
`PATCH`/`DELETE /creditors/{id}` with `If-Match` (428 without it, 412 on a stale etag), `GET /partners`.
The ledger keys a creditor by `<account>:<organisation number>`: a creditor belongs to one account, and
two accounts may each have one with the same number.
Creating an account makes its `account_admin` group; creating a creditor its `admin` and `user`
groups. Activating a creditor requires the fields Amili lists (standard debt description, sender and
invoice addresses, payout details).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from sandbox.auth import Principal
from sandbox.http import ApiError, created, invalid, read_json
from sandbox.reading import ACCOUNT_CREATE_PATH, ACCOUNT_INITIAL_CREDITOR_DATA_FIELD, ACCOUNT_INITIAL_CREDITOR_FIELD
from sandbox.resources.common import (
    add_collection,
    apply_patch,
    body_extra,
    caller,
    if_match,
    require_partner,
    visible_doc,
    writable_account,
)
from sandbox.resources.fields import ADDRESS, S, luhn_valid
from sandbox.store import Store
from sandbox.validation import Field, validate

_ORGNR = re.compile(r"^\d{6}-?\d{4}$")
_ACTIVATION_FIELDS = ("standard_debt_description", "sender_address", "invoice_address", "payout_details")
CREDITOR_FIELDS = {
    "name": Field("string", required=True),
    "organization_no": S,
    "non_swedish_organization_no": S,
    "is_active": Field("boolean"),
    "description": S,
    "standard_debt_description": S,
    "always_use_standard_debt_description": Field("boolean"),
    "agreement_address": ADDRESS,
    "sender_address": ADDRESS,
    "invoice_address": ADDRESS,
    "payout_details": Field(
        "object",
        fields={"sek": Field("object", fields={"bankgiro": S, "plusgiro": S, "bank_account": S, "clearing_number": S})},
    ),
    "default_letter_locale": Field("string", allowed=("sv", "en")),
    "case_config": Field(
        "object",
        fields={
            "vat_area": S,
            "commission_excluded_vat": Field("boolean"),
            "payout_capital_by_invoice": Field("boolean"),
            "payout_interest_by_invoice": Field("boolean"),
            "letter_config": Field("any"),
        },
    ),
}
CREDITOR = {**CREDITOR_FIELDS, "account": Field("id", required=True), "agreement_template": S}
CREDITOR_PATCH = dict(CREDITOR_FIELDS)
ACCOUNT = {
    "name": Field("string", required=True),
    "organization_no": Field("string", required=True),
    "description": S,
    "standard_debt_description": S,
    "agreement_template": S,
    "agreement_address": ADDRESS,
    "access_group_template": S,
    "case_settings": Field(
        "object", fields={"interest_rate": Field("object", fields={"reference_rate": Field("boolean")})}
    ),
    ACCOUNT_INITIAL_CREDITOR_DATA_FIELD: Field("object", required=True, fields=CREDITOR_FIELDS),
}


def orgnr_issue(field: str, value: Any) -> dict[str, str]:
    if not isinstance(value, str) or not _ORGNR.match(value) or not luhn_valid(value.replace("-", "")):
        return {field: "must be a Swedish organisation number (10 digits, valid check digit)"}
    return {}


def creditor_issues(doc: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Organisation number rules and the activation requirements."""
    issues: dict[str, str] = {}
    if ("organization_no" in doc) == ("non_swedish_organization_no" in doc):
        issues[prefix + "organization_no"] = "exactly one of organization_no, non_swedish_organization_no"
    elif "organization_no" in doc:
        issues.update(orgnr_issue(prefix + "organization_no", doc["organization_no"]))
    if doc.get("is_active"):
        for name in _ACTIVATION_FIELDS:
            if not doc.get(name):
                issues[prefix + name] = "required to activate the creditor"
    return issues


def create_access_groups(store: Store, account: str, creditor: str | None = None) -> None:
    for kind in ("admin", "user") if creditor else ("account_admin",):
        store.insert("access--groups", {"account": account, "creditor": creditor, "type": kind, "name": kind})


def add_account(store: Store, data: dict[str, Any], *, doc_id: str | None = None) -> dict[str, Any]:
    account = store.insert("accounts", data, doc_id=doc_id)
    store.register_account(account)
    create_access_groups(store, account["_id"])
    return account


def add_creditor(store: Store, data: dict[str, Any], *, doc_id: str | None = None) -> dict[str, Any]:
    account = store.docs["accounts"][data["account"]]
    doc = {"creditor_number": store.next_creditor_number(), "is_active": False, **data}
    doc["partner"] = account.get("partner")
    doc.setdefault("added_to_erp_system", False)
    creditor = store.insert("creditors", doc, doc_id=doc_id)
    store.register_creditor(creditor)
    create_access_groups(store, creditor["account"], creditor["_id"])
    return creditor


def populate(store: Store) -> None:
    """Load the seed's partners, accounts and creditors (with their fixed ids)."""
    for partner in store.seed.partners:
        store.insert("partners", {k: v for k, v in partner.items() if k != "_id"}, doc_id=partner["_id"])
    for account in store.seed.accounts:
        add_account(store, {k: v for k, v in account.items() if k != "_id"}, doc_id=account["_id"])
    for creditor in store.seed.creditors:
        add_creditor(store, {k: v for k, v in creditor.items() if k != "_id"}, doc_id=creditor["_id"])


def _ledger(store: Store, kind: str, doc: dict[str, Any], key: str | None, creditor: str | None = None) -> None:
    store.ledger.record(kind, time=doc["_created"], creditor=creditor, natural_key=key, ids={kind: doc["_id"]})


def _creditor_key(creditor: dict[str, Any]) -> str:
    number = creditor.get("organization_no") or creditor.get("non_swedish_organization_no")
    return f"{creditor['account']}:{str(number).replace('-', '')}"


async def create_account(request: Request) -> Response:
    _, store, who = caller(request)
    require_partner(who)
    data, issues = validate(ACCOUNT, await read_json(request))
    if not issues:
        issues.update(orgnr_issue("organization_no", data["organization_no"]))
        initial_data = data[ACCOUNT_INITIAL_CREDITOR_DATA_FIELD]
        issues.update(creditor_issues(initial_data, f"{ACCOUNT_INITIAL_CREDITOR_DATA_FIELD}."))
    if issues:
        raise invalid(issues)
    initial = data.pop(ACCOUNT_INITIAL_CREDITOR_DATA_FIELD)
    account = add_account(store, {**data, "partner": who.id})
    creditor = add_creditor(store, {**initial, "account": account["_id"]})
    _ledger(store, "account", account, data["organization_no"])
    _ledger(store, "creditor", creditor, _creditor_key(creditor), creditor["_id"])
    return created(account, **{ACCOUNT_INITIAL_CREDITOR_FIELD: creditor["_id"]})


async def create_creditor(request: Request) -> Response:
    _, store, who = caller(request)
    require_partner(who)
    data, issues = validate(CREDITOR, await read_json(request))
    if not issues:
        issues.update(creditor_issues(data))
    if issues:
        raise invalid(issues)
    writable_account(store, who, data["account"])
    creditor = add_creditor(store, data)
    _ledger(store, "creditor", creditor, _creditor_key(creditor), creditor["_id"])
    return created(creditor)


def _etag_checked(request: Request, store: Store, who: Principal, creditor_id: str) -> dict[str, Any]:
    require_partner(who)
    return if_match(request, visible_doc(store, who, "creditors", creditor_id))


async def update_creditor(request: Request, creditor_id: str) -> Response:
    _, store, who = caller(request)
    creditor = _etag_checked(request, store, who, creditor_id)
    data, issues = validate(CREDITOR_PATCH, await read_json(request), partial=True)
    if not issues:
        issues.update(creditor_issues({**creditor, **data}))
    if issues:
        raise invalid(issues)
    return apply_patch(store, creditor, data, "creditor_update", creditor["_id"])


async def delete_creditor(request: Request, creditor_id: str) -> Response:
    _, store, who = caller(request)
    creditor = _etag_checked(request, store, who, creditor_id)
    if any(c["creditor"] == creditor_id for c in store.docs["cases"].values()):
        raise ApiError(409, "The creditor has cases and cannot be deleted")
    del store.docs["creditors"][creditor_id]
    store.creditors_by_account[creditor["account"]].discard(creditor_id)
    if creditor.get("partner"):
        store.creditors_by_partner[creditor["partner"]].discard(creditor_id)
    store.ledger.record(
        "creditor_delete", time=store.now(), creditor=creditor_id, natural_key=None, ids={"creditor": creditor_id}
    )
    return Response(status_code=204)


def register(app: FastAPI) -> None:
    tag = "organisation"
    app.add_api_route(
        ACCOUNT_CREATE_PATH,
        create_account,
        methods=["POST"],
        status_code=201,
        tags=[tag],
        openapi_extra=body_extra(ACCOUNT),
    )
    app.add_api_route(
        "/creditors", create_creditor, methods=["POST"], status_code=201, tags=[tag], openapi_extra=body_extra(CREDITOR)
    )
    patch_extra = body_extra(CREDITOR_PATCH, partial=True)
    if_match_header = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
    patch_extra["parameters"].append(if_match_header)
    app.add_api_route(
        "/creditors/{creditor_id}", update_creditor, methods=["PATCH"], tags=[tag], openapi_extra=patch_extra
    )
    app.add_api_route(
        "/creditors/{creditor_id}",
        delete_creditor,
        methods=["DELETE"],
        status_code=204,
        tags=[tag],
        openapi_extra={"parameters": [patch_extra["parameters"][0], if_match_header]},
    )
    for collection in ("accounts", "creditors", "partners"):
        add_collection(app, collection, tag=tag)
