"""Use case 3: attach the original invoice to a case (Amili strongly recommends it).

The document travels inline (base64, small files) or as a claim check: an https URL the runtime's
`DocumentFetcher` (`ctx.documents`, workers/runtime/claim_check.py) fetches under its host, address,
redirect and size rules. Type and checksum are verified before anything is sent to Amili.

A case that already holds a document in the field is compared by content, not by the field being set:
the same file is reconciled, a changed one (a corrected PDF) is uploaded and replaces it (or is
rejected with Amili's reason when Amili refuses to replace it).
"""

from __future__ import annotations

import base64
import hashlib

from schemas.actions import DocumentAttached
from schemas.catalog import USE_CASES
from workers.amili.errors import ConflictError, RejectedError
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


def check_document(event: DocumentAttached, content: bytes) -> None:
    if not content.startswith(MAGIC[event.content_type]):
        raise RejectedError(
            "document does not match its content type", issues={"data.content_type": "the file is not of this type"}
        )
    if event.sha256 is not None and hashlib.sha256(content).hexdigest() != event.sha256:
        raise RejectedError("document checksum mismatch", issues={"data.sha256": "does not match the document"})


async def document_content(event: DocumentAttached, ctx: Context) -> bytes:
    """The document's bytes: inline, or fetched from its claim-check URL by the runtime's fetcher."""
    if event.content_base64 is not None:
        return base64.b64decode(event.content_base64)
    assert event.url is not None  # the contract guarantees exactly one of the two
    if ctx.documents is None:
        raise RuntimeError("upload_document needs the runtime's DocumentFetcher (ctx.documents)")
    content: bytes = await ctx.documents.fetch(event.url, "data.url")
    return content


@use_case("upload_document", consumes=USE_CASES["upload_document"].topic, event=DocumentAttached, reconcile="always")
async def upload_document(event: DocumentAttached, ctx: Context) -> Succeeded:
    """Uploaded once per case, field and content: the file Amili holds is compared with this one."""
    case_id = await resolve_case_id(ctx.amili, event.creditor.id, event.case)
    content = await document_content(event, ctx)
    check_document(event, content)
    digest = hashlib.sha256(content).hexdigest()
    replaced = False
    if ctx.reconcile:
        held = await ctx.amili.stored_document_sha256(case_id, event.document_type)
        if held == digest:
            return Succeeded(
                amili_ids={"case": case_id}, case_id=case_id, detail={"sha256": digest, "reconciled": True}
            )
        replaced = held is not None
    try:
        await ctx.amili.upload_case_document(
            case_id, event.file_name, content, event.content_type, dotted_path=event.document_type
        )
    except (RejectedError, ConflictError) as exc:
        if not replaced:
            raise
        raise RejectedError(
            "Amili refused to replace the case's document with a changed one",
            issues={"data.document_type": f"the case holds another {event.document_type}; Amili refused to replace it"},
            status=exc.status,
        ) from exc
    return Succeeded(
        amili_ids=amili_ids(case=case_id),
        case_id=case_id,
        detail={"bytes": len(content), "sha256": digest, "replaced": replaced, "reconciled": False},
    )
