"""Every choice the client makes where Amili's documentation is silent or marked UNKNOWN, in one place.

The client (`workers.amili`) imports these names; the sandbox does not: it keeps its own reading of the
reference (`sandbox/reading.py`), and tests/contract compares the two, listing every difference
(docs/sandbox.md), so the day the real Swagger specs are read the list says what to check. Rules the
event contract states (respite limit, document types and size, closure reasons) are defined once in
`schemas.rules` and re-exported here: the client assumes Amili accepts what the contract lets through.
Each constant names the gap it fills; README.md ("Where the Amili docs are silent") lists them for operators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from schemas.rules import CLOSURE_REASONS as CLOSURE_REASONS
from schemas.rules import MAX_RESPITE_DAYS as MAX_RESPITE_DAYS
from schemas.rules import MEDIA_CONTENT_TYPES as MEDIA_CONTENT_TYPES
from schemas.rules import MEDIA_MAX_BYTES as MEDIA_MAX_BYTES
from schemas.rules import ClosureReason as ClosureReason

# --- Authentication (reference/amili-api.md 1.1: token response shape and lifetime UNKNOWN) ---------
#: Path of the token exchange; the JWT assertion travels in the X-API-Key header of a GET.
TOKEN_PATH: Final = "/authenticates/api-code"  # noqa: S105 - a path, not a secret
#: Field of the token response that holds the access token.
TOKEN_FIELD: Final = "access_token"  # noqa: S105 - a field name
#: Field of the token response that holds the lifetime in seconds (optional in the response).
TOKEN_EXPIRES_IN_FIELD: Final = "expires_in"  # noqa: S105 - a field name
#: Lifetime assumed when the response carries none; renewal happens well before it runs out.
DEFAULT_TOKEN_TTL_SECONDS: Final = 900
#: Lifetime of the JWT assertion we sign (docs: "about 10 minutes").
ASSERTION_TTL_SECONDS: Final = 600
#: Header that carries both the assertion (token exchange) and the access token (every other call).
API_KEY_HEADER: Final = "X-API-Key"

# --- Errors (2.3: error-handling page not captured; Eve's default shape assumed) -------------------
#: Error body: {"_status": "ERR", "_error": {"code": int, "message": str}, "_issues": {field: message}}
ERROR_STATUS_FIELD: Final = "_status"
ERROR_FIELD: Final = "_error"
ISSUES_FIELD: Final = "_issues"
#: Status used for schema violations (Eve's default); 400 is used for malformed JSON or query strings.
VALIDATION_STATUS: Final = 422

# --- Rate limits (2.4 UNKNOWN) --------------------------------------------------------------------
#: Amili documents no limit. We honour Retry-After (seconds or an HTTP date) on 429 and 503, capped.
MAX_RETRY_AFTER_SECONDS: Final = 120.0

# --- Respite (4.10: path, verb and body UNKNOWN; only "case id in the URL path" is documented) -----
#: POST {"creditor", "respite_until" (RFC 1123), "reason", "creditor_reference", "origin"} -> 201.
RESPITE_PATH: Final = "/creditor--respites/{case_id}"
#: The collection the respites can be listed and looked up in (by creditor_reference).
RESPITE_COLLECTION: Final = "/creditor--respites"
#: Longest postponement: MAX_RESPITE_DAYS, the contract's rule (Amili's own limit is unknown).

# --- Case closure (5, 7.2 item 8: structure of `closed` and closure reasons UNKNOWN) ---------------
#: An open case has `closed: null`; a closed one {"closed_date": RFC 1123, "reason": one of CLOSURE_REASONS}.
#: `state` of a closed case.
CLOSED_STATE: Final = "closed"
#: Filter for open cases (Mongo semantics: null matches a missing field too).
OPEN_CASES_WHERE: Final = {"closed": None}

# --- Values seen (5: the complete enums are not documented) -----------------------------------------
#: The pollers publish any other value as Amili sent it (a closure reason as `other` with the raw value),
#: log a warning and count it by field name (`amili_fleet_unknown_values_total`): news, never skipped.
KNOWN_CASE_STATES: Final[frozenset[str]] = frozenset(
    {"initializing", "initialized", "invoice", "reminder", "debt_collection", CLOSED_STATE}
)
KNOWN_FINANCE_CATEGORIES: Final[frozenset[str]] = frozenset(
    {"capital", "creditor_outlay", "interest", "creditor_commission"}
)
KNOWN_ARTICLES: Final[frozenset[str]] = frozenset(
    {
        "capital",
        "interest",
        "reminder",
        "debt_collection",
        "invoice_fee",
        "late_payment_fee",
        "verdict_fee",
        "enforcement",
    }
)

# --- Partner onboarding (4.15: account creation endpoint UNCERTAIN) --------------------------------
#: POST {"name", "organization_no", ..., "initial_creditor_data": {...}} -> 201 {"_id", "_creditor"}.
ACCOUNT_CREATE_PATH: Final = "/accounts"
#: Response field holding the id of the account's first creditor.
ACCOUNT_INITIAL_CREDITOR_FIELD: Final = "_creditor"

# --- Media upload (4.3: limits per field not documented) ------------------------------------------
#: MEDIA_CONTENT_TYPES (documented) and MEDIA_MAX_BYTES (our cap), the contract's rules (schemas.rules).

# --- Deep links (4.13: sandbox app host UNKNOWN) ----------------------------------------------------
DEFAULT_APP_URL: Final = "https://app.amili.se"
DEEP_LINK_TEMPLATE: Final = "{app_url}/open?resource=cases&id={case_id}"

# --- Production base URL (1.2: only the sandbox host is documented) --------------------------------
DEFAULT_BASE_URL: Final = "https://api-sandbox.amili.se"

# --- Pagination (2.1, documented) ------------------------------------------------------------------
MAX_RESULTS_LIMIT: Final = 100
DEFAULT_MAX_RESULTS: Final = 25

# --- Natural keys of creditor actions (2.5: no idempotency key documented) --------------------------
#: The field each action is looked up by before a write that may have landed is retried; we send the
#: producer's reference or the event's identity (`schemas.identity.event_identity(source, id)`: 32 hex
#: characters, since Amili documents no length limit) there. Only payments document a reference field of
#: their own and creditings document `creditor_reference` as optional; on cancellations and respites it is
#: our assumption (see UNDOCUMENTED_FIELDS for what happens when Amili refuses it).
ACTION_REFERENCE_FIELDS: Final[dict[str, str]] = {
    "/creditor--payments": "creditor_payment_reference",
    "/creditor--creditings": "creditor_reference",
    "/creditor--cancellations": "creditor_reference",
    RESPITE_COLLECTION: "creditor_reference",
}

# --- Processing status of creditor actions (2.3, DOC-alpha: completed | warning | error) ------------
#: Amili stores every action and answers how it went. `error`: stored but not applied, so for the
#: upstream system a no (a `rejected` outcome). `warning`: applied with a remark (a closed case, more
#: paid than owed): `succeeded`, with Amili's status and reason in the outcome. Any other value is
#: unknown: logged, passed on in the outcome, and treated as applied (Amili stored the action).
ACTION_STATUSES: Final[tuple[str, ...]] = ("completed", "warning", "error")
ACTION_REJECTED_STATUSES: Final[frozenset[str]] = frozenset({"error"})

# --- User updates (4.14, 7.2 item 14: no PATCH or DELETE for users documented) ----------------------
#: An existing user who lacks the requested access gets it by `PATCH /users/{id}` with `If-Match` (Eve's
#: concurrency rule, as for creditors) and the whole `data_access` list (Eve replaces a list field as a
#: whole): the grants the user had plus the new one. Amili answering 405 there means users cannot be
#: changed through the API: the invitation is then `rejected` with that reason (grant it in the App).
USER_UPDATE_PATH: Final = "/users/{id}"

# --- Endpoints we assume (their path, verb or body is not documented) ------------------------------
#: (method, path template). A 404 from one of them cannot tell a missing document from a missing
#: endpoint, so it is treated as "our request is wrong" (dead letter), see workers/amili/http.py.
ASSUMED_ENDPOINTS: Final[frozenset[tuple[str, str]]] = frozenset(
    {("POST", RESPITE_PATH), ("GET", RESPITE_COLLECTION), ("POST", ACCOUNT_CREATE_PATH), ("PATCH", USER_UPDATE_PATH)}
)

# --- Stored documents (4.3: the upload answers a signed `url`; what a case's field holds is UNKNOWN) --
#: A case's document field (`original_invoice`) is assumed to hold an object with the stored file's
#: signed `url` (as the upload answer does). To tell a corrected document from the one Amili has, the
#: worker downloads that file and compares SHA-256 digests; without a url it cannot compare and uploads.
STORED_FILE_URL_FIELD: Final = "url"


# --- Fields we send that Amili does not document (Eve refuses unknown fields with 422) --------------
@dataclass(frozen=True)
class UndocumentedField:
    """A field the client sends although the reference does not list it, and the way out if Amili
    refuses it (a 422 naming it). `retry_without`: the client learns the refusal, sends the write once
    more without the field and finds the action another way (`found_by`); `rejected`: the field carries
    the producer's data, so dropping it would change the fact: the event is rejected naming the field."""

    endpoints: tuple[str, ...]
    field: str
    if_refused: Literal["retry_without", "rejected"]
    found_by: tuple[str, ...] = ()


UNDOCUMENTED_FIELDS: Final[tuple[UndocumentedField, ...]] = (
    UndocumentedField(("/creditor--cancellations",), "creditor_reference", "retry_without", ("creditor", "case")),
    UndocumentedField((RESPITE_PATH,), "creditor_reference", "retry_without", ("creditor", "case", "respite_until")),
    UndocumentedField(("/case--registrations",), "debts.payout_reference", "rejected"),
    UndocumentedField(
        ("/invoice--registrations", "/case--registrations", "/creditors", "/creditors/{id}", ACCOUNT_CREATE_PATH),
        "address_line_2 (of every address)",
        "rejected",
    ),
    UndocumentedField(
        ("/creditors", "/creditors/{id}", ACCOUNT_CREATE_PATH), "payout_details.sek.plusgiro", "rejected"
    ),
)


def droppable_fields(endpoint: str) -> dict[str, UndocumentedField]:
    """The undocumented top-level fields of `endpoint` the client may leave out when Amili refuses them."""
    return {f.field: f for f in UNDOCUMENTED_FIELDS if endpoint in f.endpoints and f.if_refused == "retry_without"}
