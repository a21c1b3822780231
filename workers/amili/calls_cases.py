"""Registrations, documents, cases, invoices and customers (use cases 1-6)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx

from schemas import jsonio
from workers.amili import assumptions
from workers.amili.bodies import CaseRegistration, InvoiceRegistration
from workers.amili.errors import RejectedError, TransientError
from workers.amili.models import (
    Case,
    CaseRegistrationResult,
    Customer,
    Invoice,
    InvoiceRegistrationResult,
    MediaUploadResult,
)
from workers.amili.session import AmiliSession

MEDIA_UPLOAD_PATH = "/media--upload/{id}"


class CaseCalls(AmiliSession):
    """Calls about invoices and cases, on the Creditor API."""

    async def register_invoice(self, body: InvoiceRegistration) -> InvoiceRegistrationResult:
        """POST /invoice--registrations; the result's `case` is the new case id."""
        return await self._create(InvoiceRegistrationResult, "/invoice--registrations", body)

    async def register_case(self, body: CaseRegistration) -> CaseRegistrationResult:
        """POST /case--registrations; one case per debt, ids in `cases` (debts' order)."""
        return await self._create(CaseRegistrationResult, "/case--registrations", body)

    async def upload_case_document(
        self,
        case_id: str,
        filename: str,
        content: bytes,
        content_type: str,
        dotted_path: str = "original_invoice",
    ) -> MediaUploadResult:
        """POST /media--upload/{case} as multipart; type and size are checked here before sending."""
        if content_type not in assumptions.MEDIA_CONTENT_TYPES:
            raise RejectedError(
                f"content_type {content_type!r} is not allowed",
                issues={"file": f"content type must be one of {', '.join(assumptions.MEDIA_CONTENT_TYPES)}"},
                endpoint=MEDIA_UPLOAD_PATH,
            )
        if len(content) > assumptions.MEDIA_MAX_BYTES:
            raise RejectedError(
                f"file of {len(content)} bytes is over the limit",
                issues={"file": f"at most {assumptions.MEDIA_MAX_BYTES} bytes"},
                endpoint=MEDIA_UPLOAD_PATH,
            )
        response = await self._surface("creditor").send(
            "POST",
            MEDIA_UPLOAD_PATH,
            path_params={"id": case_id},
            files={"file": (filename, content, content_type)},
            data={"domain": "cases", "dotted_path": dotted_path},
        )
        return MediaUploadResult.model_validate(jsonio.loads(response.content) if response.content else {})

    async def stored_document_sha256(self, case_id: str, dotted_path: str = "original_invoice") -> str | None:
        """SHA-256 of the file a case's document field holds, read from the stored file's signed url
        (assumptions.STORED_FILE_URL_FIELD); None when the field is empty or there is no file to read."""
        case = await self.get_case(case_id, projection={"_id": 1, dotted_path: 1})
        held = (case.model_extra or {}).get(dotted_path)
        url = held.get(assumptions.STORED_FILE_URL_FIELD) if isinstance(held, Mapping) else None
        if not isinstance(url, str) or not self._is_amili_storage(url):
            return None
        content = await self._download(url, assumptions.MEDIA_MAX_BYTES)
        return None if content is None else hashlib.sha256(content).hexdigest()

    def _is_amili_storage(self, url: str) -> bool:
        """A stored file's url is https (Amili's storage), or on the configured API origin (the sandbox)."""
        target, base = httpx.URL(url), httpx.URL(self.settings.base_url)
        return target.scheme == "https" or (target.scheme, target.host, target.port) == (
            base.scheme,
            base.host,
            base.port,
        )

    async def _download(self, url: str, limit: int) -> bytes | None:
        """GET a signed url (no API key: the signature is the credential); None when it is refused or
        expired (4xx) or larger than `limit`; a 5xx or a transport failure is transient."""
        try:
            async with self._client.stream("GET", url, headers={"Accept": "*/*"}) as response:
                if response.status_code >= 500:
                    raise TransientError(f"stored file answered {response.status_code}", status=response.status_code)
                if response.status_code != 200:
                    return None
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > limit:
                        return None
                    chunks.append(chunk)
                return b"".join(chunks)
        except httpx.TransportError as exc:
            raise TransientError(f"reading the stored file failed: {type(exc).__name__}") from exc

    async def get_case(self, case_id: str, projection: Mapping[str, int] | None = None) -> Case:
        """GET /cases/{id}: the live state (never serve status from a stale copy)."""
        return await self._get_document(Case, "/cases/{id}", case_id, projection=projection)

    def iter_cases(
        self,
        where: Mapping[str, Any] | None = None,
        sort: str | None = None,
        projection: Mapping[str, int] | None = None,
        page_size: int = assumptions.MAX_RESULTS_LIMIT,
    ) -> AsyncIterator[Case]:
        """GET /cases, every page; e.g. where=assumptions.OPEN_CASES_WHERE for the open-case export."""
        return self._iter(Case, "/cases", where=where, sort=sort, projection=projection, page_size=page_size)

    async def find_case_by_invoice_number(self, creditor: str, invoice_number: str) -> Case | None:
        """The creditor's case whose `debt.invoice_number` matches, or None."""
        return await self._find_one(Case, "/cases", {"creditor": creditor, "debt.invoice_number": invoice_number})

    async def get_invoice(self, invoice_id: str) -> Invoice:
        return await self._get_document(Invoice, "/invoices/{id}", invoice_id)

    def iter_invoices(
        self,
        where: Mapping[str, Any] | None = None,
        sort: str | None = None,
        projection: Mapping[str, int] | None = None,
        page_size: int = assumptions.MAX_RESULTS_LIMIT,
    ) -> AsyncIterator[Invoice]:
        return self._iter(Invoice, "/invoices", where=where, sort=sort, projection=projection, page_size=page_size)

    async def find_invoice(self, creditor: str, invoice_number: str) -> Invoice | None:
        """The creditor's invoice with this invoice number, or None."""
        return await self._find_one(Invoice, "/invoices", {"creditor": creditor, "invoice_number": invoice_number})

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._get_document(Customer, "/customers/{id}", customer_id)

    def iter_customers(
        self,
        where: Mapping[str, Any] | None = None,
        sort: str | None = None,
        page_size: int = assumptions.MAX_RESULTS_LIMIT,
    ) -> AsyncIterator[Customer]:
        return self._iter(Customer, "/customers", where=where, sort=sort, page_size=page_size)
