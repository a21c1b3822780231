"""The client's engine room: one shared httpx.AsyncClient, the two credentials, and generic calls.

`AmiliSession` builds the pooled client (explicit timeouts, limits, User-Agent), a token provider per
credential (the Partner API one falls back to the account one) and the generic shapes every typed
method uses: get one document, create one (`_create_assumed` where we send undocumented fields), find
one by a `where`, and iterate a collection.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from importlib.metadata import PackageNotFoundError, version
from types import TracebackType
from typing import Any, Literal, Self, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from schemas import jsonio
from workers.amili import assumptions
from workers.amili.auth import AuthorizedHttp, SigningKey, TokenProvider
from workers.amili.errors import AuthError, FieldRefused, RejectedError
from workers.amili.http import AmiliHttp, OnResponse
from workers.amili.pagination import Query, build_query, iterate_pages
from workers.amili.pool import ShardedTransport
from workers.amili.settings import AmiliSettings, Credential
from workers.amili.wire import body_bytes

logger = logging.getLogger("workers.amili")
M = TypeVar("M", bound=BaseModel)
#: Which API surface (and so which credential) a call belongs to.
Surface = Literal["creditor", "partner"]


def user_agent() -> str:
    try:
        return f"amili-fleet/{version('amili-fleet')}"
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "amili-fleet/0+unknown"


class AmiliSession:
    """Construction, lifecycle and generic calls; the typed methods live in the `calls_*` mixins."""

    def __init__(
        self,
        settings: AmiliSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        on_response: OnResponse | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        # Keys first: a bad key fails construction before any connection pool exists.
        creditor = settings.creditor_credential()
        creditor_key = SigningKey(creditor, "private_key") if creditor else None
        partner = settings.partner_credential() if settings.partner_api_code else None
        partner_key = SigningKey(partner, "partner_private_key") if partner else None
        if transport is None:
            transport = ShardedTransport(settings.max_connections, settings.max_keepalive, settings.pool_shard_size)
        self._client = httpx.AsyncClient(
            base_url=settings.base_url,
            transport=transport,
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.write_timeout,
                pool=settings.pool_timeout,
            ),
            limits=httpx.Limits(
                max_connections=settings.max_connections,
                max_keepalive_connections=settings.max_keepalive,
            ),
            headers={"User-Agent": user_agent(), "Accept": "application/json"},
            # Settings are the only configuration: no proxy or netrc picked up from the environment.
            trust_env=False,
        )
        self._http = AmiliHttp(self._client, on_response)
        self._creditor = self._authorized(creditor, creditor_key, clock) if creditor and creditor_key else None
        # Without a separate partner credential both surfaces share one token rather than hold two.
        self._partner = self._authorized(partner, partner_key, clock) if partner and partner_key else self._creditor
        #: (endpoint, field) of undocumented fields Amili refused: left out of every later write.
        self.refused_fields: set[tuple[str, str]] = set()

    def _authorized(self, credential: Credential, key: SigningKey, clock: Callable[[], float]) -> AuthorizedHttp:
        tokens = TokenProvider(
            self._http,
            credential.api_code,
            key,
            algorithm=self.settings.jwt_algorithm,
            renewal_margin=self.settings.token_renewal_margin,
            clock=clock,
        )
        return AuthorizedHttp(self._http, tokens)

    @classmethod
    def from_settings(cls, settings: AmiliSettings, *, on_response: OnResponse | None = None) -> Self:
        """The production constructor: real network transport, settings loaded once by the runtime."""
        return cls(settings, on_response=on_response)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._client.aclose()

    def deep_link(self, case_id: str) -> str:
        """The Amili App URL that opens a case (use case 13)."""
        app_url = self.settings.app_url.rstrip("/")
        return assumptions.DEEP_LINK_TEMPLATE.format(app_url=app_url, case_id=quote(case_id, safe=""))

    # --- generic calls ---------------------------------------------------------------------------

    def _surface(self, surface: Surface) -> AuthorizedHttp:
        session = self._partner if surface == "partner" else self._creditor
        if session is None:
            raise AuthError(f"no {surface} API credential configured (AMILI_API_CODE)")
        return session

    async def _get_json(
        self,
        endpoint: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Query | None = None,
        surface: Surface = "creditor",
    ) -> Any:
        response = await self._surface(surface).send("GET", endpoint, path_params=path_params, params=params)
        return jsonio.loads(response.content)

    async def _send_json(
        self,
        method: str,
        endpoint: str,
        body: BaseModel | Mapping[str, Any],
        *,
        path_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        surface: Surface = "creditor",
    ) -> Any:
        response = await self._surface(surface).send(
            method, endpoint, path_params=path_params, content=body_bytes(body), headers=headers
        )
        return jsonio.loads(response.content) if response.content else {}

    async def _get_document(
        self,
        model: type[M],
        endpoint: str,
        document_id: str,
        *,
        projection: Mapping[str, int] | None = None,
        surface: Surface = "creditor",
    ) -> M:
        params = build_query(projection=projection) or None
        body = await self._get_json(endpoint, path_params={"id": document_id}, params=params, surface=surface)
        return model.model_validate(body)

    async def _create(
        self, model: type[M], endpoint: str, body: BaseModel, *, surface: Surface = "creditor", **path: str
    ) -> M:
        return model.model_validate(await self._send_json("POST", endpoint, body, path_params=path, surface=surface))

    def refuses(self, endpoint: str, field: str) -> bool:
        """Has Amili refused this undocumented field on this endpoint (a 422 naming it)?"""
        return (endpoint, field) in self.refused_fields

    async def _create_assumed(
        self, model: type[M], endpoint: str, body: BaseModel, *, surface: Surface = "creditor", **path: str
    ) -> M:
        """POST like `_create`, leaving out the undocumented fields Amili has refused on `endpoint`. A 422
        naming only such fields (never seen before) is learned and raised as FieldRefused: nothing was
        written, and the caller sends once more (now without them) after looking the action up by its
        other key (assumptions.UNDOCUMENTED_FIELDS)."""
        droppable = assumptions.droppable_fields(endpoint)
        sent = body.model_copy(update={f: None for f in droppable if self.refuses(endpoint, f)})
        try:
            return await self._create(model, endpoint, sent, surface=surface, **path)
        except RejectedError as exc:
            present = {f for f in droppable if getattr(sent, f, None) is not None}
            if not exc.issues or not set(exc.issues) <= present:
                raise
            fields = tuple(sorted(exc.issues))
            self.refused_fields.update((endpoint, f) for f in fields)
            logger.warning(
                "Amili refuses the undocumented field(s) %s on %s; leaving them out from now on",
                ", ".join(fields),
                endpoint,
                extra={"endpoint": endpoint},
            )
            raise FieldRefused(
                f"{endpoint} refused {', '.join(fields)}",
                fields=fields,
                issues=exc.issues,
                status=exc.status,
                endpoint=endpoint,
                request_id=exc.request_id,
                response_excerpt=exc.response_excerpt,
            ) from exc

    async def _find_one(
        self, model: type[M], endpoint: str, where: Mapping[str, Any], *, surface: Surface = "creditor"
    ) -> M | None:
        body = await self._get_json(endpoint, params=build_query(where=where, max_results=1), surface=surface)
        items = body.get("_items") if isinstance(body, Mapping) else None
        return model.model_validate(items[0]) if items else None

    async def _iter(
        self,
        model: type[M],
        endpoint: str,
        *,
        where: Mapping[str, Any] | None = None,
        sort: str | None = None,
        projection: Mapping[str, int] | None = None,
        page_size: int = assumptions.MAX_RESULTS_LIMIT,
        surface: Surface = "creditor",
    ) -> AsyncIterator[M]:
        async def fetch(query: Query) -> Any:
            return await self._get_json(endpoint, params=query, surface=surface)

        pages = iterate_pages(fetch, where=where, sort=sort, projection=projection, page_size=page_size)
        async for item in pages:
            yield model.model_validate(item)
