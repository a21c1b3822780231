"""Eve-shaped responses and errors, serialised with `sandbox.jsonio` (exact Decimal amounts).

Handlers raise `ApiError`; one exception handler turns it into
`{"_status": "ERR", "_error": {"code", "message"}, "_issues": {field: message}}`.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from sandbox import jsonio
from sandbox.reading import ERROR_FIELD, ERROR_STATUS_FIELD, ISSUES_FIELD, VALIDATION_STATUS

JSON = "application/json"


class ApiError(Exception):
    """An error answer: HTTP status, message, optional field issues and headers."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        issues: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.issues = issues
        self.headers = headers


def invalid(issues: dict[str, str]) -> ApiError:
    """A schema violation (422) carrying Eve's `_issues`."""
    return ApiError(VALIDATION_STATUS, "Insertion failure: 1 document(s) contain(s) error(s)", issues=issues)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(jsonio.dumps(body), status_code=status, media_type=JSON, headers=headers)


def error_response(error: ApiError) -> Response:
    body: dict[str, Any] = {ERROR_STATUS_FIELD: "ERR", ERROR_FIELD: {"code": error.status, "message": error.message}}
    if error.issues:
        body[ISSUES_FIELD] = error.issues
    return json_response(body, error.status, error.headers)


async def api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def read_json(request: Request) -> Any:
    """The request body parsed with Decimal amounts; 400 when it is not JSON; 422 when it carries a
    field the sandbox was told to refuse (`sandbox.strict`, `/_sandbox/refused-fields`)."""
    raw = await request.body()
    if not raw:
        raise ApiError(400, "The request body is empty; a JSON object is expected")
    try:
        body = jsonio.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "The request body is not valid JSON") from exc
    refused = getattr(request.app.state.sandbox, "refused_fields", None)
    if refused is not None and refused.rules:
        template = request.scope.get("sandbox.template", request.url.path)
        issues = refused.issues(request.method, template, request.url.path, body)
        if issues:
            raise invalid(issues)
    return body


def created(doc: dict[str, Any], **extra: Any) -> Response:
    """201 with Eve's write answer: metadata, `_status: OK`, plus resource-specific fields."""
    body = {k: doc[k] for k in ("_id", "_created", "_updated", "_etag")}
    body.update(extra)
    body["_status"] = "OK"
    return json_response(body, 201)
