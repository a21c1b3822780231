"""The sandbox's own reading of the Amili reference (reference/amili-api.md), in one place.

The sandbox simulates Amili as the reference documents it. It never imports the fleet's client or its
assumptions: a wrong guess on the client's side must be able to fail here. Each constant is one rule
the reference documents or one gap it leaves; `SOURCES` names the section it comes from and how sure
the reference is. Where the reference is silent the sandbox had to choose, and says so.
tests/contract compares these readings with the client's (`workers/amili/assumptions.py`);
docs/sandbox.md lists every difference: the work for the day Amili's Swagger specs are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# How sure the reference is (its own legend, reference "Legend used below").
DOC: Final = "documented"
DOC_ALPHA: Final = "documented on the pre-release docs only"
INFERRED: Final = "inferred"
UNKNOWN: Final = "unknown"


@dataclass(frozen=True)
class Source:
    """Where a reading comes from: the reference section, how sure it is, and what the sandbox made of it."""

    section: str
    status: str
    note: str


# --- Authentication and environments (1.1, 1.2) ------------------------------------------------------
TOKEN_PATH: Final = "/authenticates/api-code"  # noqa: S105 - a path, not a secret
API_KEY_HEADER: Final = "X-API-Key"
JWT_ALGORITHMS: Final[tuple[str, ...]] = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512")
JWT_CLAIMS: Final[tuple[str, ...]] = ("api_code", "exp")
ASSERTION_TTL_SECONDS: Final = 600
TOKEN_FIELD: Final = "access_token"  # noqa: S105 - a field name
TOKEN_EXPIRES_IN_FIELD: Final = "expires_in"  # noqa: S105 - a field name
DEFAULT_TOKEN_TTL_SECONDS: Final = 900
DEFAULT_BASE_URL: Final = "https://api-sandbox.amili.se"

# --- Errors, limits, idempotency (2.1, 2.3, 2.4, 2.5) ------------------------------------------------
ERROR_STATUS_FIELD: Final = "_status"
ERROR_FIELD: Final = "_error"
ISSUES_FIELD: Final = "_issues"
VALIDATION_STATUS: Final = 422
DEFAULT_MAX_RESULTS: Final = 25
MAX_RESULTS_LIMIT: Final = 100
RATE_LIMIT_PER_SECOND: Final[float | None] = None
DUPLICATE_INVOICE_NUMBERS_REJECTED: Final = False

# --- Money, dates, origin (2.6) ----------------------------------------------------------------------
CURRENCIES: Final[tuple[str, ...]] = ("SEK",)
ACTION_ORIGIN: Final = "creditor_system"
ISO_DATES_ACCEPTED: Final = False

# --- Creditor actions (4.7 - 4.10) ---------------------------------------------------------------------
#: Each action's own reference field, as documented. Cancellations document none; respites are unknown.
ACTION_REFERENCE_FIELDS: Final[dict[str, str]] = {
    "/creditor--payments": "creditor_payment_reference",
    "/creditor--creditings": "creditor_reference",
}
RESPITE_PATH: Final = "/creditor--respites/{case_id}"
RESPITE_COLLECTION: Final = "/creditor--respites"
MAX_RESPITE_DAYS: Final[int | None] = None
#: The processing statuses an action is answered with (payments and creditings; cancellations never `error`).
ACTION_STATUSES: Final[tuple[str, ...]] = ("completed", "warning", "error")

# --- Case closure (5, 7.2 items 8 and 9) ---------------------------------------------------------------
CLOSED_STATE: Final = "closed"
CLOSURE_REASONS: Final[tuple[str, ...]] = ("paid", "written_off", "bankruptcy", "cancelled", "credited")
OPEN_CASES_WHERE: Final = {"closed": None}

# --- Partner onboarding (3 "Account", 4.15, 7.2 item 13) -----------------------------------------------
ACCOUNT_CREATE_PATH: Final = "/accounts"
ACCOUNT_INITIAL_CREDITOR_DATA_FIELD: Final = "initial_creditor_data"
ACCOUNT_INITIAL_CREDITOR_FIELD: Final = "_creditor"

# --- Media upload (3 "Document / media", 2.3, 4.3) -----------------------------------------------------
MEDIA_CONTENT_TYPES: Final[tuple[str, ...]] = ("application/pdf", "image/jpeg", "image/png", "image/gif", "image/bmp")
MEDIA_MAX_BYTES: Final[int | None] = None
MEDIA_DOMAINS: Final[tuple[str, ...]] = ("cases", "invoices", "media--files")
MEDIA_DEFAULT_DOMAIN: Final = "media--files"
MEDIA_ERROR_STATUS: Final = 400
#: What a document field holds after an upload: the stored file's signed `url` (as the upload answers it).
STORED_FILE_URL_FIELD: Final = "url"

# --- Users (4.14, 7.2 item 14) --------------------------------------------------------------------------
#: No user update is documented; the sandbox serves Eve's item PATCH (If-Match), as for creditors.
USER_UPDATE_PATH: Final = "/users/{id}"

# --- Deep links (4.13) ---------------------------------------------------------------------------------
DEFAULT_APP_URL: Final = "https://app.amili.se"
DEEP_LINK_TEMPLATE: Final = "{app_url}/open?resource=cases&id={case_id}"


SOURCES: Final[dict[str, Source]] = {
    "TOKEN_PATH": Source("1.1", DOC, "GET with the JWT assertion in X-API-Key; the static-IP POST is not simulated"),
    "API_KEY_HEADER": Source("1.1", DOC, "carries the assertion on the exchange and the access token after it"),
    "JWT_ALGORITHMS": Source("1.1", DOC, "the newer docs' list; the older sample's ES512-on-P-256 is inconsistent"),
    "JWT_CLAIMS": Source("1.1", DOC, "both required"),
    "ASSERTION_TTL_SECONDS": Source("1.1", DOC, "'should expire about 10 minutes after creation': not enforced"),
    "TOKEN_FIELD": Source("1.1, 7.2 item 2", UNKNOWN, "response shape not readable; OAuth 2's usual name"),
    "TOKEN_EXPIRES_IN_FIELD": Source("1.1, 7.2 item 2", UNKNOWN, "OAuth 2's usual name; always sent"),
    "DEFAULT_TOKEN_TTL_SECONDS": Source("1.1, 7.2 item 2", UNKNOWN, "lifetime not readable; 15 minutes issued"),
    "DEFAULT_BASE_URL": Source("1.2, 7.2 item 1", DOC, "the sandbox host; production's is unknown (not simulated)"),
    "ERROR_STATUS_FIELD": Source("2.2, 2.3", DOC, "`_status: ERR` is documented on the media-upload page"),
    "ERROR_FIELD": Source("2.3, 7.2 item 3", INFERRED, "Eve's default {code, message}"),
    "ISSUES_FIELD": Source("2.3, 7.2 item 3", INFERRED, "Eve's default {field: message}"),
    "VALIDATION_STATUS": Source("2.3, 7.2 item 3", INFERRED, "Eve's default for schema violations; 400 for bad JSON"),
    "DEFAULT_MAX_RESULTS": Source("2.1", DOC, "page size when max_results is absent"),
    "MAX_RESULTS_LIMIT": Source("2.1", DOC, "larger max_results are clamped (Eve's behaviour, inferred)"),
    "RATE_LIMIT_PER_SECOND": Source("2.4, 7.2 item 4", UNKNOWN, "none documented: none enforced (faults inject 429)"),
    "DUPLICATE_INVOICE_NUMBERS_REJECTED": Source(
        "2.5, 7.2 item 5", UNKNOWN, "nothing says a repeated invoice number is refused: it is accepted and counted"
    ),
    "CURRENCIES": Source("2.6", DOC, "only SEK is supported"),
    "ACTION_ORIGIN": Source("2.6, 4.7-4.9", DOC, "required on creditor actions"),
    "ISO_DATES_ACCEPTED": Source("2.6, 7.2 item 18", UNKNOWN, "examples mix ISO and RFC 1123: only RFC 1123 accepted"),
    "ACTION_REFERENCE_FIELDS": Source(
        "4.7, 4.8, 4.9, 4.10",
        DOC,
        "payments and creditings document a reference field; cancellations document none and respites are unknown "
        "(the sandbox still stores a creditor_reference sent on either, so a client's reference can be looked up)",
    ),
    "RESPITE_PATH": Source("4.10, 7.2 item 6", UNKNOWN, "only 'the case id goes in the URL path' is documented"),
    "RESPITE_COLLECTION": Source("4.10, 7.2 item 6", UNKNOWN, "named like the other creditor actions"),
    "MAX_RESPITE_DAYS": Source("4.10, 7.2 item 6", UNKNOWN, "no limit documented: any later date is accepted"),
    "ACTION_STATUSES": Source("2.3, 4.7-4.9", DOC_ALPHA, "payments and creditings: completed, warning or error"),
    "CLOSED_STATE": Source("5, 7.2 item 7", UNKNOWN, "the state enum is incomplete; a closed case says `closed`"),
    "CLOSURE_REASONS": Source("5, 7.2 item 8", UNKNOWN, "the outcomes the reference names, in snake case"),
    "OPEN_CASES_WHERE": Source("4.5, 7.2 item 9", INFERRED, "`closed` is null while open (Mongo: null matches)"),
    "ACCOUNT_CREATE_PATH": Source("4.15, 7.2 item 13", UNKNOWN, "'presumably POST /accounts' on the Partner API"),
    "ACCOUNT_INITIAL_CREDITOR_DATA_FIELD": Source("3 Account, 4.15", DOC, "write-only; required here"),
    "ACCOUNT_INITIAL_CREDITOR_FIELD": Source("4.15, 7.2 item 13", UNKNOWN, "answer shape unknown; like `_case`"),
    "MEDIA_CONTENT_TYPES": Source("3 Document / media", DOC, "the default allowed types"),
    "MEDIA_MAX_BYTES": Source("4.3", UNKNOWN, "no size limit documented ('field-specific limits may apply')"),
    "MEDIA_DOMAINS": Source("4.3", DOC_ALPHA, "`cases`, `invoices`; `media--files` is the newer default"),
    "MEDIA_DEFAULT_DOMAIN": Source("4.3", DOC_ALPHA, "dotted_path is required unless the domain is media--files"),
    "MEDIA_ERROR_STATUS": Source("2.3", DOC_ALPHA, "every documented media-upload error is a 400 (404: unknown id)"),
    "STORED_FILE_URL_FIELD": Source(
        "4.3", UNKNOWN, "what a case's document field holds is not documented: {media, url, content_type}"
    ),
    "USER_UPDATE_PATH": Source(
        "4.14, 7.2 item 14", UNKNOWN, "no PATCH or DELETE for users documented; Eve's item PATCH"
    ),
    "DEFAULT_APP_URL": Source("4.13, 7.2 item 1", DOC, "production App; the sandbox App host is unknown"),
    "DEEP_LINK_TEMPLATE": Source("4.13", DOC, "`&oauth=google|microsoft` is optional (not simulated)"),
}
