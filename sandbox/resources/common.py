"""What every resource shares: the running sandbox, scoping by caller, and the Eve list/get routes.

Scoping is the multi-tenant rule: an account sees only its own creditors' data, a partner the data
of the accounts it provisioned. A document outside the caller's scope is 404 on read (its existence
is not revealed); writing for a creditor outside the scope is 403.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from sandbox import jsonio
from sandbox.auth import Principal
from sandbox.http import JSON, ApiError, invalid, json_response
from sandbox.query import QueryError, apply, parse_query, project
from sandbox.reading import API_KEY_HEADER
from sandbox.store import Store
from sandbox.validation import Schema, json_schema

if TYPE_CHECKING:
    from sandbox.app import Sandbox


def sandbox_of(request: Request) -> Sandbox:
    return request.app.state.sandbox  # type: ignore[no-any-return]


def caller(request: Request) -> tuple[Sandbox, Store, Principal]:
    """The sandbox, its store and the authenticated caller (401 otherwise)."""
    sb = sandbox_of(request)
    return sb, sb.store, sb.auth.principal(request.headers)


def scope_creditors(store: Store, who: Principal) -> set[str]:
    if who.kind == "account":
        return store.creditors_by_account.get(who.id, set())
    return store.creditors_by_partner.get(who.id, set())


def scope_accounts(store: Store, who: Principal) -> set[str]:
    if who.kind == "account":
        return {who.id}
    return store.accounts_by_partner.get(who.id, set())


def visible_filter(store: Store, who: Principal, collection: str) -> Callable[[dict[str, Any]], bool]:
    """A predicate: may `who` see this document of `collection`?"""
    if collection == "partners":
        return lambda d: who.kind == "partner" and d["_id"] == who.id
    if collection == "accounts":
        accounts = scope_accounts(store, who)
        return lambda d: d["_id"] in accounts
    if collection in ("users", "access--groups"):
        accounts = scope_accounts(store, who)
        return lambda d: d.get("account") in accounts
    creditors = scope_creditors(store, who)
    if collection == "creditors":
        return lambda d: d["_id"] in creditors
    return lambda d: d.get("creditor") in creditors


def writable_creditor(store: Store, who: Principal, creditor_id: Any, field: str = "creditor") -> dict[str, Any]:
    """The creditor a write targets: 422 when unknown, 403 when it belongs to someone else."""
    creditor = store.get("creditors", str(creditor_id))
    if creditor is None:
        raise invalid({field: f"value '{creditor_id}' must exist in resource 'creditors'"})
    if creditor["_id"] not in scope_creditors(store, who):
        raise ApiError(403, "You are not allowed to act for this creditor")
    return creditor


def writable_account(store: Store, who: Principal, account_id: Any) -> None:
    """The account a write targets must exist (422) and be the caller's (403)."""
    if account_id not in store.docs["accounts"]:
        raise invalid({"account": f"value '{account_id}' must exist in resource 'accounts'"})
    if account_id not in scope_accounts(store, who):
        raise ApiError(403, "You are not allowed to act for this account")


def require_partner(who: Principal) -> None:
    if who.kind != "partner":
        raise ApiError(403, "This resource is part of the Partner API")


def visible_doc(store: Store, who: Principal, collection: str, doc_id: str) -> dict[str, Any]:
    """A document the caller may see, else 404 (a foreign document looks like a missing one)."""
    doc = store.get(collection, doc_id)
    if doc is None or not visible_filter(store, who, collection)(doc):
        raise ApiError(404, "The requested URL was not found on the server")
    return doc


def apply_patch(store: Store, doc: dict[str, Any], data: dict[str, Any], kind: str, creditor: str | None) -> Response:
    """Apply a validated PATCH: new `_updated` and `_etag`, a `<kind>` ledger entry, Eve's write answer."""
    doc.update(data)
    store.touch(doc)
    store.ledger.record(
        kind,
        time=doc["_updated"],
        creditor=creditor,
        natural_key=None,
        ids={kind.removesuffix("_update"): doc["_id"], "fields": sorted(data)},
    )
    body = {k: doc[k] for k in ("_id", "_created", "_updated", "_etag")}
    return json_response({**body, "_status": "OK"})


def if_match(request: Request, doc: dict[str, Any]) -> dict[str, Any]:
    """Eve's concurrency rule: 428 without If-Match, 412 when it is not the document's current etag."""
    etag = request.headers.get("if-match")
    if not etag:
        raise ApiError(428, "To edit a document its etag must be provided using the If-Match header")
    if etag.strip('"') != doc["_etag"]:
        raise ApiError(412, "Client and server etags don't match")
    return doc


LIST_PARAMETERS: list[dict[str, Any]] = [
    {"name": name, "in": "query", "required": False, "schema": schema}
    for name, schema in (
        ("where", {"type": "string"}),
        ("sort", {"type": "string"}),
        ("projection", {"type": "string"}),
        ("page", {"type": "integer"}),
        ("max_results", {"type": "integer"}),
    )
]
AUTH_PARAMETER: dict[str, Any] = {
    "name": API_KEY_HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
}


def body_extra(schema: Schema, *, partial: bool = False) -> dict[str, Any]:
    """openapi_extra for a JSON request body described by a validation schema (`partial` for PATCH)."""
    body_schema = json_schema(schema, partial=partial)
    return {
        "parameters": [AUTH_PARAMETER],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body_schema}}},
    }


def _candidates(store: Store, who: Principal, collection: str) -> Iterable[dict[str, Any]]:
    """The documents to filter: for creditor-scoped collections only the caller's creditors' ones."""
    if collection in _NOT_BY_CREDITOR:
        visible = visible_filter(store, who, collection)
        return (d for d in store.docs[collection].values() if visible(d))
    lists = [store.by_creditor.get((collection, c), []) for c in scope_creditors(store, who)]
    return heapq.merge(*lists, key=_by_id)  # ids grow with creation: this is creation order


def _by_id(doc: dict[str, Any]) -> str:
    return str(doc["_id"])


_NOT_BY_CREDITOR = {"partners", "accounts", "users", "access--groups", "creditors"}


def list_items(request: Request, collection: str) -> Response:
    """Eve's list answer for the caller's visible documents of `collection`."""
    _, store, who = caller(request)
    try:
        query = parse_query(request.query_params)
    except QueryError as exc:
        raise ApiError(400, exc.message, issues={exc.param: exc.message}) from exc
    items, total = apply(query, _candidates(store, who, collection))
    meta = jsonio.dumps({"total": total, "max_results": query.max_results, "page": query.page})
    # Whole documents come from the serialisation cache; projected ones are fresh dicts.
    dump = jsonio.dumps if query.projection else store.wire
    parts = [dump(item) for item in items]
    body = b'{"_items":[' + b",".join(parts) + b'],"_meta":' + meta + b"}"
    return Response(body, media_type=JSON)


def add_collection(app: FastAPI, collection: str, *, tag: str) -> None:
    """Register `GET /{collection}` and `GET /{collection}/{item_id}`."""

    async def list_collection(request: Request) -> Response:
        return list_items(request, collection)

    async def get_item(request: Request, item_id: str) -> Response:
        _, store, who = caller(request)
        doc = visible_doc(store, who, collection, item_id)
        if request.query_params.get("projection"):
            try:
                projection = parse_query({"projection": request.query_params["projection"]}).projection
            except QueryError as exc:
                raise ApiError(400, exc.message, issues={exc.param: exc.message}) from exc
            if projection:
                return json_response(project(doc, projection), headers={"ETag": str(doc["_etag"])})
        return Response(store.wire(doc), media_type=JSON, headers={"ETag": str(doc["_etag"])})

    name = collection.replace("--", "_").replace("-", "_")
    app.add_api_route(
        f"/{collection}",
        list_collection,
        methods=["GET"],
        name=f"list_{name}",
        tags=[tag],
        openapi_extra={"parameters": [*LIST_PARAMETERS, AUTH_PARAMETER]},
    )
    app.add_api_route(
        f"/{collection}/{{item_id}}",
        get_item,
        methods=["GET"],
        name=f"get_{name}",
        tags=[tag],
        openapi_extra={"parameters": [AUTH_PARAMETER, LIST_PARAMETERS[2]]},
    )
