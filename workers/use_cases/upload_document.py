"""Use case 3: attach the original invoice to a case (Amili strongly recommends it).

The document travels inline (base64, small files) or as a claim check: an https URL the worker fetches,
streamed with a size cap so a wrong link cannot exhaust memory. Type and checksum are verified before
anything is sent to Amili.
"""

from __future__ import annotations

import base64
import hashlib

import httpx

from schemas.actions import DocumentAttached
from schemas.catalog import USE_CASES
from workers.amili import assumptions
from workers.amili.errors import RejectedError, TransientError
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import amili_ids, resolve_case_id

#: Magic bytes per allowed type: a file that is not what it claims is refused here, not by Amili.
MAGIC = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/bmp": (b"BM",),
}
FETCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)


async def fetch_document(url: str, limit: int = assumptions.MEDIA_MAX_BYTES) -> bytes:
    """GET the claim-check URL, refusing more than `limit` bytes; errors say whether retrying can help."""
    try:
        async with (
            httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True) as client,
            client.stream("GET", url) as response,
        ):
            if response.status_code >= 500 or response.status_code == 429:
                raise TransientError(f"document host answered {response.status_code}", status=response.status_code)
            if response.status_code >= 400:
                raise RejectedError(
                    f"document host answered {response.status_code}",
                    issues={"data.url": f"the document could not be fetched ({response.status_code})"},
                )
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > limit:
                    raise RejectedError("document too large", issues={"data.url": f"larger than {limit} bytes"})
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.TransportError as exc:
        raise TransientError(f"fetching the document failed: {type(exc).__name__}") from exc


def check_document(event: DocumentAttached, content: bytes) -> None:
    if not content.startswith(MAGIC[event.content_type]):
        raise RejectedError(
            "document does not match its content type", issues={"data.content_type": "the file is not of this type"}
        )
    if event.sha256 is not None and hashlib.sha256(content).hexdigest() != event.sha256:
        raise RejectedError("document checksum mismatch", issues={"data.sha256": "does not match the document"})


@use_case("upload_document", consumes=USE_CASES["upload_document"].topic, event=DocumentAttached, reconcile="always")
async def upload_document(event: DocumentAttached, ctx: Context) -> Succeeded:
    """Uploaded once per case and document field: a case that already holds the field is left alone."""
    case_id = await resolve_case_id(ctx.amili, event.creditor.id, event.case)
    if ctx.reconcile:
        case = await ctx.amili.get_case(case_id, projection={"_id": 1, event.document_type: 1})
        if (case.model_extra or {}).get(event.document_type):
            return Succeeded(amili_ids={"case": case_id}, case_id=case_id, detail={"reconciled": True})
    if event.content_base64 is not None:
        content = base64.b64decode(event.content_base64)
    else:
        assert event.url is not None  # the contract guarantees exactly one of the two
        content = await fetch_document(event.url)
    check_document(event, content)
    await ctx.amili.upload_case_document(
        case_id, event.file_name, content, event.content_type, dotted_path=event.document_type
    )
    return Succeeded(
        amili_ids=amili_ids(case=case_id), case_id=case_id, detail={"bytes": len(content), "reconciled": False}
    )
