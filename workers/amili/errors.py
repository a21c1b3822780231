"""What can go wrong talking to Amili, as the runtime needs to know it.

    AmiliError
    ├── TransientError          retry with backoff: timeouts, connection errors, 5xx
    │   └── RateLimited         429 (or 503) with the Retry-After it carried
    ├── RejectedError           400/422: Amili said no; `issues` keeps its field errors
    │   ├── FieldRefused        422 naming only undocumented fields we may leave out: send again without
    │   └── CaseNotFoundError   no case with the claim's invoice number (yet): the runtime waits, bounded
    ├── AuthError               the process's credential failed: the token exchange, or 401 after a renewal
    ├── AccessDenied            403: Amili refuses this record (e.g. no access group covers the creditor)
    ├── EndpointError           404/405 on an endpoint: our request is wrong (path or method), not the event
    ├── NotFoundError           404 on a document: it does not exist (or is not the caller's)
    └── ConflictError           409/412

`may_have_landed` is true when the request could have reached Amili and been applied although we
saw no answer (a timeout after sending, a dropped connection, a 5xx on a write): the runtime then
looks the natural key up before trying the write again ("reconcile mode").
The mapping from HTTP to these classes lives in one table in `workers.amili.http`.
"""

from __future__ import annotations


class AmiliError(Exception):
    """Base of every error the Amili client raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        response_excerpt: str | None = None,
        request_id: str | None = None,
        may_have_landed: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.endpoint = endpoint
        self.response_excerpt = response_excerpt
        self.request_id = request_id
        self.may_have_landed = may_have_landed

    @property
    def error_class(self) -> str:
        """Short stable name for logs, metrics labels and dead-letter headers."""
        return type(self).__name__


class TransientError(AmiliError):
    """Worth retrying: the request failed for reasons that pass (network, timeouts, 5xx)."""


class RateLimited(TransientError):
    """Amili asked us to slow down; `retry_after` is in seconds (None when no header was sent)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.retry_after = retry_after


class RejectedError(AmiliError):
    """Amili refused the request as invalid; retrying the same request cannot succeed.

    `amili_status` / `amili_status_reason` carry Amili's own processing answer when it stored an action
    it could not apply (status `error`), so the rejected outcome shows it.
    """

    def __init__(
        self,
        message: str,
        *,
        issues: dict[str, str] | None = None,
        amili_status: str | None = None,
        amili_status_reason: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.issues: dict[str, str] = dict(issues or {})
        self.amili_status = amili_status
        self.amili_status_reason = amili_status_reason


class FieldRefused(RejectedError):
    """Amili refused only fields we send without its docs listing them (`assumptions.UNDOCUMENTED_FIELDS`,
    way out `retry_without`). The client has learned it and leaves them out from now on: the caller
    sends the write once more and finds the action by its other key (`fields` names what was refused)."""

    def __init__(self, message: str, *, fields: tuple[str, ...], **kwargs: object) -> None:
        super().__init__(message, **kwargs)  # type: ignore[arg-type]
        self.fields = fields


class CaseNotFoundError(RejectedError):
    """Amili holds no case with the claim's invoice number, so a creditor action has nothing to act on.

    The look-up itself succeeded. The case may simply not exist yet (its registration is still on its way,
    or being made in the Amili App), so the runtime retries for a bounded wait before it answers with the
    rejection this error carries (`issues` names `data.case.invoice_number`).
    """


class AuthError(AmiliError):
    """The process's credential does not work: the token exchange failed, or a fresh token got a 401.

    Every request of the process fails alike, so the runtime retries and lets it open the circuit breaker.
    """


class AccessDenied(AmiliError):
    """403 on a call: Amili refuses this record (the credential's access groups do not cover its creditor,
    or a partner-only call made with an account credential). Other records go through, so it is not an
    outage: the runtime dead-letters the record at once (redrivable once the access is granted)."""


class EndpointError(AmiliError):
    """404 on an endpoint or 405: the path or method we used does not exist at Amili. Our request is
    wrong, not the event: the record is dead-lettered (redrivable once the client is fixed), never
    answered with a final `rejected`."""


class NotFoundError(AmiliError):
    """The addressed resource does not exist (404)."""


class ConflictError(AmiliError):
    """The write conflicts with the resource's current state or ETag (409/412)."""
