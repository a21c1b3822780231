"""Real authentication: JWT assertions against registered public keys, opaque expiring tokens.

`GET /authenticates/api-code` with `X-API-Key: <JWT {"api_code", "exp"}>` signed by the key
registered for that API code (ES256 by default; ES384, ES512, RS256, RS384, RS512 as documented)
returns an opaque random access token. Every other call carries that token in `X-API-Key`. A token
belongs to an account (creditor API) or a partner (partner API); `Principal` carries which. Token
expiry runs on wall time, not the sandbox clock, so advancing business days does not log clients out.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from sandbox.http import ApiError
from sandbox.reading import API_KEY_HEADER, JWT_ALGORITHMS, JWT_CLAIMS, TOKEN_EXPIRES_IN_FIELD, TOKEN_FIELD
from sandbox.seed import ApiCode

#: The algorithms the newer Amili docs list for the JWT assertion.
ALGORITHMS = list(JWT_ALGORITHMS)
_HEADER = API_KEY_HEADER.lower()


@dataclass(frozen=True)
class Principal:
    """Who is calling: an account (creditor API) or a partner (partner API)."""

    kind: str  # "account" | "partner"
    id: str
    api_code: str


def _unauthorized(message: str = "Please provide proper credentials") -> ApiError:
    return ApiError(401, message)


class Authenticator:
    """Verifies assertions, issues and checks access tokens."""

    def __init__(self, api_codes: dict[str, ApiCode], token_ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.api_codes = api_codes
        self.token_ttl = token_ttl
        self.clock = clock
        self.tokens: dict[str, tuple[Principal, float]] = {}

    def exchange(self, assertion: str | None) -> dict[str, Any]:
        """Check a JWT assertion and return the token response."""
        if not assertion:
            raise _unauthorized(f"The {API_KEY_HEADER} header with a signed JWT assertion is required")
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _unauthorized("The assertion is not a JWT") from exc
        code = self.api_codes.get(str(claims.get("api_code")))
        if code is None:
            raise _unauthorized("Unknown API code")
        try:
            jwt.decode(assertion, code.public_key, algorithms=ALGORITHMS, options={"require": list(JWT_CLAIMS)})
        except jwt.ExpiredSignatureError as exc:
            raise _unauthorized("The assertion has expired") from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise _unauthorized("The assertion signature does not verify against the registered key") from exc
        principal = (
            Principal("account", code.account, code.api_code)
            if code.account
            else Principal("partner", str(code.partner), code.api_code)
        )
        token = secrets.token_urlsafe(32)
        self.tokens[token] = (principal, self.clock() + self.token_ttl)
        return {TOKEN_FIELD: token, TOKEN_EXPIRES_IN_FIELD: int(self.token_ttl)}

    def principal(self, headers: Any) -> Principal:
        """The caller behind the request's access token; 401 when missing, unknown or expired."""
        token = headers.get(_HEADER)
        if not token:
            raise _unauthorized()
        entry = self.tokens.get(token)
        if entry is None:
            raise _unauthorized()
        principal, expires_at = entry
        if self.clock() >= expires_at:
            del self.tokens[token]
            raise _unauthorized("The access token has expired")
        return principal
