"""Access tokens: sign a short-lived JWT assertion, exchange it, cache the token, renew it in time.

Reference 1.1: `GET /authenticates/api-code` with `X-API-Key: <JWT {"api_code", "exp"}>` returns an
access token, which every other call carries in `X-API-Key`. The token is renewed
`renewal_margin` seconds before it expires and once more when Amili answers 401; concurrent callers
wait on one asyncio lock, so an expiry causes one exchange, not a stampede. A refused exchange is an
`AuthError` (the whole process is affected); a 403 on an ordinary call is `AccessDenied` (one record).

Key rotation: a key read from a file (a mounted Kubernetes Secret, which the kubelet updates in place) is
read again before each exchange, so a rotated key signs the next renewal (at the latest one token lifetime
later, at once after a 401) without a restart. An unreadable or invalid new file is logged and the key read
before keeps signing: a half-written Secret must not stop the fleet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from schemas import jsonio
from workers.amili import assumptions
from workers.amili.errors import AmiliError, AuthError, TransientError
from workers.amili.http import AmiliHttp
from workers.amili.settings import Credential

log = logging.getLogger(__name__)


def _parse(pem: bytes, field: str) -> Any:
    """Parse a PEM once (signing with a parsed key is cheaper); the error names the field, not the key."""
    try:
        return load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise ValueError(f"{field}: not an unencrypted PEM private key") from None


class SigningKey:
    """A credential's parsed key; when it came from a file, `current()` re-reads the file and takes a changed key."""

    def __init__(self, credential: Credential, field: str) -> None:
        self.field = field
        self._file = credential.key_file
        self._pem = credential.private_key_pem
        self._key = _parse(self._pem, field)
        #: How many times a changed key was taken from the file (tests and debugging).
        self.reloads = 0

    def current(self) -> Any:
        if self._file is None:
            return self._key
        try:
            pem = self._file.read_bytes()
        except OSError as exc:
            log.warning(
                "%s_file: cannot read %s again (%s); signing with the key read before",
                self.field,
                self._file,
                exc.strerror,
            )
            return self._key
        if pem != self._pem:
            try:
                key = _parse(pem, self.field)
            except ValueError:
                log.warning(
                    "%s_file: %s no longer holds a valid key; signing with the key read before", self.field, self._file
                )
                return self._key
            self._pem, self._key = pem, key
            self.reloads += 1
            log.info("%s_file: %s changed; the new key signs from now on", self.field, self._file)
        return self._key


class TokenProvider:
    """Caches one access token for one credential and renews it before it runs out."""

    def __init__(
        self,
        http: AmiliHttp,
        api_code: str,
        signing_key: SigningKey,
        *,
        algorithm: str = "ES256",
        renewal_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._api_code = api_code
        self._key = signing_key
        self._algorithm = algorithm
        self._margin = renewal_margin
        self._clock = clock
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._renew_at = 0.0
        #: How many exchanges were made (tests and debugging; never the token itself).
        self.exchanges = 0

    def assertion(self) -> str:
        """A fresh JWT assertion; `exp` is wall-clock time, as Amili checks it."""
        payload = {"api_code": self._api_code, "exp": int(time.time()) + assumptions.ASSERTION_TTL_SECONDS}
        return jwt.encode(payload, self._key.current(), algorithm=self._algorithm)

    async def token(self) -> str:
        """The cached access token, exchanging a new one first when it is due for renewal."""
        if self._token is not None and self._clock() < self._renew_at:
            return self._token
        async with self._lock:
            # Another caller may have renewed while we waited for the lock.
            if self._token is not None and self._clock() < self._renew_at:
                return self._token
            return await self._exchange()

    async def renew(self, stale: str) -> str:
        """Renew after a 401 on `stale`; if someone already replaced it, use theirs instead."""
        async with self._lock:
            if self._token is not None and self._token != stale and self._clock() < self._renew_at:
                return self._token
            return await self._exchange()

    async def _exchange(self) -> str:
        started = self._clock()
        try:
            response = await self._http.send(
                "GET", assumptions.TOKEN_PATH, headers={assumptions.API_KEY_HEADER: self.assertion()}
            )
        except (TransientError, AuthError):
            raise
        except AmiliError as exc:
            # Any refusal of the exchange (403, 404, 422 ...) means no call of this process can work:
            # that is the process-wide auth problem, unlike a 403 on one record's call (AccessDenied).
            raise AuthError(
                f"the token exchange was refused ({exc.status})",
                status=exc.status,
                endpoint=assumptions.TOKEN_PATH,
                request_id=exc.request_id,
                response_excerpt=exc.response_excerpt,
            ) from exc
        self.exchanges += 1
        token, ttl = _parse_token_response(response)
        self._token = token
        # Never plan a renewal in the past: with a tiny TTL, renew on the next call instead of looping.
        self._renew_at = started + max(ttl - self._margin, 0.0)
        return token


def _parse_token_response(response: httpx.Response) -> tuple[str, float]:
    try:
        body = jsonio.loads(response.content)
    except ValueError:
        body = None
    token = body.get(assumptions.TOKEN_FIELD) if isinstance(body, Mapping) else None
    if not isinstance(token, str) or not token:
        raise AuthError(
            f"token response has no {assumptions.TOKEN_FIELD!r}",
            status=response.status_code,
            endpoint=assumptions.TOKEN_PATH,
        )
    raw_ttl = body.get(assumptions.TOKEN_EXPIRES_IN_FIELD) if isinstance(body, Mapping) else None
    try:
        ttl = float(raw_ttl) if raw_ttl is not None else float(assumptions.DEFAULT_TOKEN_TTL_SECONDS)
    except (TypeError, ValueError):
        ttl = float(assumptions.DEFAULT_TOKEN_TTL_SECONDS)
    return token, ttl


class AuthorizedHttp:
    """Sends with the current access token and renews it once when Amili answers 401."""

    def __init__(self, http: AmiliHttp, tokens: TokenProvider) -> None:
        self.http = http
        self.tokens = tokens

    async def send(self, method: str, endpoint: str, **kwargs: Any) -> httpx.Response:
        """As `AmiliHttp.send`, plus `X-API-Key`; a second 401 surfaces as AuthError."""
        token = await self.tokens.token()
        try:
            return await self._send_with(token, method, endpoint, kwargs)
        except AuthError as exc:
            if exc.status != 401:
                raise
        token = await self.tokens.renew(token)
        return await self._send_with(token, method, endpoint, kwargs)

    async def _send_with(self, token: str, method: str, endpoint: str, kwargs: dict[str, Any]) -> httpx.Response:
        rest = {k: v for k, v in kwargs.items() if k != "headers"}
        headers = {**(kwargs.get("headers") or {}), assumptions.API_KEY_HEADER: token}
        return await self.http.send(method, endpoint, headers=headers, **rest)
