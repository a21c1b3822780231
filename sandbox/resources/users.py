"""Users and access groups: `POST /users`, `PATCH /users/{id}`, `GET /users`, `GET /access--groups`.

Amili documents no user update (reference 4.14). The sandbox's reading: Eve serves PATCH on every item
endpoint with `If-Match` (428 without it, 412 when stale), and a PATCH replaces a list field as a whole,
so `data_access` is the user's new complete access list. Access groups must belong to the user's account.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from sandbox.http import created, invalid, read_json
from sandbox.reading import USER_UPDATE_PATH
from sandbox.resources.common import (
    add_collection,
    apply_patch,
    body_extra,
    caller,
    if_match,
    visible_doc,
    writable_account,
)
from sandbox.resources.fields import S
from sandbox.store import Store
from sandbox.validation import Field, validate

USER = {
    "account": Field("id", required=True),
    "name": Field("string", required=True),
    "oauth_type": Field("string", required=True, allowed=("microsoft", "google")),
    "email_oauth": Field("string", required=True, max_length=254),
    "oauth_subscriber": S,
    "email_data": Field("object", fields={"email": S}),
    "data_access": Field("list", items=Field("object", fields={"access_group": Field("id", required=True)})),
    "applications": Field("list", items=Field("object", fields={"application": S})),
    "is_enabled": Field("boolean"),
    "log_invoice_registrations": Field("boolean"),
    "log_case_registrations": Field("boolean"),
    "log_creditor_payments": Field("boolean"),
}
USER_PATCH = {name: spec for name, spec in USER.items() if name not in ("account", "email_oauth", "oauth_type")}


async def create_user(request: Request) -> Response:
    _, store, who = caller(request)
    data, issues = validate(USER, await read_json(request))
    if issues:
        raise invalid(issues)
    writable_account(store, who, data["account"])
    issues = _access_issues(store, data["account"], data)
    if issues:
        raise invalid(issues)
    user = store.insert("users", {"is_enabled": True, **data})
    store.ledger.record(
        "user",
        time=user["_created"],
        creditor=None,
        natural_key=f"{data['account']}:{data['email_oauth'].lower()}",
        ids={"user": user["_id"]},
    )
    return created(user)


def _access_issues(store: Store, account: str, data: dict[str, Any]) -> dict[str, str]:
    issues: dict[str, str] = {}
    for i, access in enumerate(data.get("data_access", [])):
        group = store.get("access--groups", access["access_group"])
        if group is None or group["account"] != account:
            issues[f"data_access.{i}.access_group"] = "unknown access group for this account"
    return issues


async def update_user(request: Request, user_id: str) -> Response:
    _, store, who = caller(request)
    user = if_match(request, visible_doc(store, who, "users", user_id))
    data, issues = validate(USER_PATCH, await read_json(request), partial=True)
    if not issues:
        issues = _access_issues(store, user["account"], data)
    if issues:
        raise invalid(issues)
    return apply_patch(store, user, data, "user_update", None)


def register(app: FastAPI) -> None:
    tag = "organisation"
    app.add_api_route(
        "/users", create_user, methods=["POST"], status_code=201, tags=[tag], openapi_extra=body_extra(USER)
    )
    user_patch = body_extra(USER_PATCH, partial=True)
    user_patch["parameters"].append(
        {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"}}
    )
    app.add_api_route(
        USER_UPDATE_PATH.format(id="{user_id}"), update_user, methods=["PATCH"], tags=[tag], openapi_extra=user_patch
    )
    for collection in ("users", "access--groups"):
        add_collection(app, collection, tag=tag)
