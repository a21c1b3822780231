"""One HTTP exchange with Amili: request id, timing, the metrics hook, and the one error-mapping table.

Every failure leaves this module as an `AmiliError` subclass (see `errors.py` for the tree):

    timeout / connection error / other transport error -> TransientError
    5xx (503 with Retry-After: RateLimited)              -> TransientError
    408                                                   -> TransientError
    429                                                   -> RateLimited(retry_after)
    400 / 422 (and any other 4xx not below)              -> RejectedError(issues)
    401 (after one token renewal)                         -> AuthError (the process's credential)
    403                                                   -> AccessDenied (this record: an access group, a
                                                             partner-only call); the token exchange's own
                                                             refusals become AuthError in auth.py
    404 on a document path ("/cases/{id}") of a documented endpoint, answered in Eve's error shape
                                                          -> NotFoundError (this document does not exist)
    404 anywhere else: a collection path ("/creditor--payments"), an endpoint we only assume
        (assumptions.ASSUMED_ENDPOINTS: Amili's answer cannot tell a missing document from a missing
        endpoint there), or an answer not in Eve's shape (a router, not Eve)
                                                          -> EndpointError (our request is wrong)
    405                                                   -> EndpointError
    409 / 412                                             -> ConflictError

What the runtime makes of them: see workers/runtime/retry.py (transient: retried; rejected: a `rejected`
outcome; AccessDenied and EndpointError: dead-lettered at once, redrivable, never feeding the breaker).

`may_have_landed` is set on non-GET requests when the request left this process and no answer
says it was refused: read/write timeouts, dropped connections, protocol errors and 5xx. A connect
error, connect timeout or pool timeout never sent a byte, so it never "may have landed".
Bodies are never logged (they carry personal data); logs and errors name the endpoint *template*.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import httpx

from schemas import jsonio
from workers.amili import assumptions
from workers.amili.errors import (
    AccessDenied,
    AmiliError,
    AuthError,
    ConflictError,
    EndpointError,
    NotFoundError,
    RateLimited,
    RejectedError,
    TransientError,
)

logger = logging.getLogger("workers.amili")

#: on_response(endpoint_template, method, status or None when no answer came, seconds)
OnResponse = Callable[[str, str, int | None, float], None]

REQUEST_ID_HEADER = "X-Request-ID"
EXCERPT_CHARS = 500

#: Status -> error class. Anything not listed: 5xx transient, other 4xx rejected; 404 see `_not_found`.
STATUS_ERRORS: Mapping[int, type[AmiliError]] = {
    400: RejectedError,
    401: AuthError,
    403: AccessDenied,
    404: NotFoundError,
    405: EndpointError,
    408: TransientError,
    409: ConflictError,
    412: ConflictError,
    422: RejectedError,
    429: RateLimited,
}

#: Transport failures that happen before any byte of the request is sent.
NOTHING_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
)


def retry_after_seconds(header: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), capped; None if absent."""
    if header is None or not header.strip():
        return None
    value = header.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return min(max(seconds, 0.0), assumptions.MAX_RETRY_AFTER_SECONDS)


def _flatten_issues(issues: Any, prefix: str = "") -> dict[str, str]:
    """Eve's `_issues` may nest (sub-documents) or list several messages per field; flatten to dotted keys."""
    if isinstance(issues, Mapping):
        flat: dict[str, str] = {}
        for field, value in issues.items():
            flat.update(_flatten_issues(value, f"{prefix}.{field}" if prefix else str(field)))
        return flat
    if isinstance(issues, list):
        return {prefix or "_": "; ".join(str(v) for v in issues)}
    return {prefix or "_": str(issues)}


def _body_of(response: httpx.Response) -> Any:
    try:
        return jsonio.loads(response.content)
    except ValueError:
        return None


def _issues_of(response: httpx.Response) -> dict[str, str]:
    body = _body_of(response)
    if isinstance(body, Mapping) and body.get(assumptions.ISSUES_FIELD):
        return _flatten_issues(body[assumptions.ISSUES_FIELD])
    return {}


def _not_found(response: httpx.Response, method: str, endpoint: str) -> type[AmiliError]:
    """A 404 says "this document does not exist" only where a document is addressed and Eve answered."""
    addresses_document = "{" in endpoint and (method, endpoint) not in assumptions.ASSUMED_ENDPOINTS
    body = _body_of(response)
    eve_answered = isinstance(body, Mapping) and body.get(assumptions.ERROR_STATUS_FIELD) == "ERR"
    return NotFoundError if addresses_document and eve_answered else EndpointError


def error_for_status(response: httpx.Response, *, method: str, endpoint: str, request_id: str) -> AmiliError | None:
    """The error an HTTP answer means, or None for success (1xx-3xx)."""
    status = response.status_code
    if status < 400:
        return None
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    cls = STATUS_ERRORS.get(status)
    if cls is NotFoundError:
        cls = _not_found(response, method, endpoint)
    if cls is None:
        if status == 503 and retry_after is not None:
            cls = RateLimited
        else:
            cls = TransientError if status >= 500 else RejectedError
    common: dict[str, Any] = {
        "status": status,
        "endpoint": endpoint,
        "request_id": request_id,
        "response_excerpt": response.text[:EXCERPT_CHARS] or None,
        # A 5xx on a write says nothing about whether Amili applied it before failing.
        "may_have_landed": status >= 500 and method != "GET",
    }
    message = f"{method} {endpoint} answered {status}"
    if cls is RateLimited:
        return RateLimited(message, retry_after=retry_after, **common)
    if cls is RejectedError:
        issues = _issues_of(response)
        if issues:  # field names only: the messages may quote personal data
            message += f" (issues: {', '.join(sorted(issues))})"
        return RejectedError(message, issues=issues, **common)
    return cls(message, **common)


def error_for_exception(exc: Exception, *, method: str, endpoint: str, request_id: str) -> TransientError:
    """A transport failure as a TransientError; `may_have_landed` unless nothing was sent or it was a GET."""
    landed = method != "GET" and not isinstance(exc, NOTHING_SENT)
    return TransientError(
        f"{method} {endpoint} failed: {type(exc).__name__}",
        endpoint=endpoint,
        request_id=request_id,
        may_have_landed=landed,
    )


def expand(endpoint: str, path_params: Mapping[str, str] | None) -> str:
    """Fill an endpoint template; ids are percent-encoded so they cannot change the path."""
    if not path_params:
        return endpoint
    return endpoint.format(**{k: quote(str(v), safe="") for k, v in path_params.items()})


class AmiliHttp:
    """Sends one request on the shared httpx client and turns every failure into an AmiliError."""

    def __init__(self, client: httpx.AsyncClient, on_response: OnResponse | None = None) -> None:
        self.client = client
        self._on_response = on_response

    async def send(
        self,
        method: str,
        endpoint: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, str | int] | None = None,
        content: bytes | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send and return the (2xx/3xx) response; raise the mapped AmiliError otherwise."""
        request_id = str(uuid.uuid4())
        all_headers = {REQUEST_ID_HEADER: request_id, **(headers or {})}
        if content is not None:
            all_headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            response = await self.client.request(
                method,
                expand(endpoint, path_params),
                params=params,
                content=content,
                files=files,
                data=data,
                headers=all_headers,
            )
        except httpx.RequestError as exc:
            elapsed = time.perf_counter() - started
            self._observe(endpoint, method, None, elapsed, request_id)
            raise error_for_exception(exc, method=method, endpoint=endpoint, request_id=request_id) from exc
        elapsed = time.perf_counter() - started
        self._observe(endpoint, method, response.status_code, elapsed, request_id)
        error = error_for_status(response, method=method, endpoint=endpoint, request_id=request_id)
        if error is not None:
            raise error
        return response

    def _observe(self, endpoint: str, method: str, status: int | None, seconds: float, request_id: str) -> None:
        level = logging.DEBUG if status is not None and status < 400 else logging.WARNING
        if logger.isEnabledFor(level):
            logger.log(
                level,
                "amili request",
                extra={
                    "request_id": request_id,
                    "method": method,
                    "endpoint": endpoint,
                    "status": status,
                    "duration_seconds": round(seconds, 6),
                },
            )
        if self._on_response is not None:
            try:
                self._on_response(endpoint, method, status, seconds)
            except Exception:
                # A broken metrics hook must not turn a successful Amili call into a failure.
                logger.exception("on_response hook failed", extra={"endpoint": endpoint})
