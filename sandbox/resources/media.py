"""`POST /media--upload/{reference_id}`: attach a file to a case or invoice (multipart form).

Form fields `file` (required), `domain` (`cases`, `invoices` or the default `media--files`) and
`dotted_path` (required unless the domain is `media--files`). Allowed types come from the sandbox's
reading of the reference; Amili documents no size limit, so the only cap is the simulator's own guard
(UPLOAD_GUARD_BYTES, 413). Answers 201 `{"_status": "OK", "url": ...}` with a signed URL (valid an hour,
as Amili documents; the sandbox's do not expire); the errors and messages are the ones Amili documents.

The sandbox keeps each file's bytes and serves them at that URL (`GET /storage/<bucket>/<id>?X-Goog-
Signature=...`, standing in for Amili's Google Cloud Storage bucket), and the target's field holds
`{"media", "url", "content_type"}`. A second upload to the same field replaces it; the ledger records
every upload (natural key `<reference>:<field>:<sha256>`), so the same file twice shows as a duplicate.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import Any

from fastapi import FastAPI
from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import Response

from sandbox.http import ApiError, json_response
from sandbox.reading import (
    MEDIA_CONTENT_TYPES,
    MEDIA_DEFAULT_DOMAIN,
    MEDIA_DOMAINS,
    MEDIA_ERROR_STATUS,
    MEDIA_MAX_BYTES,
    STORED_FILE_URL_FIELD,
)
from sandbox.resources.common import AUTH_PARAMETER, caller, sandbox_of, scope_creditors

#: The simulator's guard against filling the machine's memory, not a reading of Amili (which documents no limit).
UPLOAD_GUARD_BYTES = 64 * 1024 * 1024
LIMIT_BYTES = MEDIA_MAX_BYTES if MEDIA_MAX_BYTES is not None else UPLOAD_GUARD_BYTES
#: The bucket the signed URLs point into (Amili's files live in Google Cloud Storage, reference 1.2).
BUCKET = "sandbox-ada-api-files"
_DOTTED = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")


async def upload_media(request: Request, reference_id: str) -> Response:
    _, store, who = caller(request)
    try:
        form = await request.form(max_files=2, max_fields=10)
    except Exception as exc:  # starlette raises several types for a malformed multipart body
        raise ApiError(MEDIA_ERROR_STATUS, "The request is not a valid multipart/form-data body") from exc
    try:
        return await _accept(store, who, form, reference_id, str(request.base_url))
    finally:
        await form.close()  # uploaded files are spooled to temporary files


async def _accept(store: Any, who: Any, form: FormData, reference_id: str, base_url: str) -> Response:
    """Check the form as Amili documents it, store the file's metadata, attach it to the target."""
    domain = form.get("domain") or MEDIA_DEFAULT_DOMAIN
    if not isinstance(domain, str) or domain not in MEDIA_DOMAINS:
        raise ApiError(MEDIA_ERROR_STATUS, f"Domain '{domain}' is not valid.")
    dotted = form.get("dotted_path")
    if domain != MEDIA_DEFAULT_DOMAIN and not dotted:
        raise ApiError(MEDIA_ERROR_STATUS, "Dotted Path Not Found in request form")
    if dotted is not None and (not isinstance(dotted, str) or not _DOTTED.match(dotted)):
        raise ApiError(MEDIA_ERROR_STATUS, "Dotted Path is not valid")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ApiError(MEDIA_ERROR_STATUS, "File is a required attribute.")
    target = _target(store, who, domain, reference_id)
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in MEDIA_CONTENT_TYPES:
        raise ApiError(
            MEDIA_ERROR_STATUS,
            "The provided file's content type is not allowed. "
            f"Expected one of {', '.join(MEDIA_CONTENT_TYPES)}, got {content_type or 'none'}.",
        )
    data = await upload.read(LIMIT_BYTES + 1)
    if len(data) > LIMIT_BYTES:
        raise ApiError(413, f"The file exceeds the limit of {LIMIT_BYTES} bytes.")
    digest = hashlib.sha256(data).hexdigest()
    media = store.insert(
        "media",
        {
            "reference_id": reference_id,
            "domain": domain,
            "dotted_path": dotted,
            "content_type": content_type,
            "size": len(data),
            "sha256": digest,
            "filename": upload.filename,
            "creditor": target.get("creditor") if target else None,
        },
    )
    signature = secrets.token_hex(16)
    store.files[media["_id"]] = (signature, data, content_type)
    url = f"{base_url}storage/{BUCKET}/{media['_id']}?X-Goog-Expires=3600&X-Goog-Signature={signature}"
    if target is not None and dotted:
        target[dotted.split(".")[0]] = {"media": media["_id"], STORED_FILE_URL_FIELD: url, "content_type": content_type}
        store.touch(target)
    store.ledger.record(
        "media",
        time=media["_created"],
        creditor=media["creditor"],
        natural_key=f"{reference_id}:{dotted or ''}:{digest}",
        ids={"media": media["_id"], "reference_id": reference_id},
        case=reference_id if domain == "cases" else None,
    )
    return json_response({"_status": "OK", "_id": media["_id"], "url": url}, 201)


def _target(store: Any, who: Any, domain: str, reference_id: str) -> dict[str, Any] | None:
    """The case or invoice the file goes to (404 when it is unknown or not the caller's)."""
    if domain == MEDIA_DEFAULT_DOMAIN:
        return None
    doc = store.get(domain, reference_id)
    if doc is None or doc.get("creditor") not in scope_creditors(store, who):
        raise ApiError(404, "Resource Document Not Found")
    return doc  # type: ignore[no-any-return]


async def stored_file(request: Request, media_id: str) -> Response:
    """A stored file at its signed URL (no API key: the signature is the credential, as on GCS)."""
    stored = sandbox_of(request).store.files.get(media_id)
    signature = request.query_params.get("X-Goog-Signature", "")
    if stored is None or not hmac.compare_digest(stored[0], signature):
        return Response(b"<Error><Code>AccessDenied</Code></Error>", status_code=403, media_type="application/xml")
    return Response(stored[1], media_type=stored[2])


def register(app: FastAPI) -> None:
    app.add_api_route(f"/storage/{BUCKET}/{{media_id}}", stored_file, methods=["GET"], include_in_schema=False)
    schema = {
        "type": "object",
        "properties": {
            "file": {"type": "string", "format": "binary"},
            "domain": {"type": "string", "enum": list(MEDIA_DOMAINS)},
            "dotted_path": {"type": "string"},
        },
        "required": ["file"],
    }
    app.add_api_route(
        "/media--upload/{reference_id}",
        upload_media,
        methods=["POST"],
        status_code=201,
        tags=["media"],
        openapi_extra={
            "parameters": [AUTH_PARAMETER],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}},
        },
    )
