"""Kafka records <-> CloudEvents: decode structured or binary mode, encode structured mode.

Structured mode: the value is the JSON envelope (content-type `application/cloudevents+json`, or no
content-type and a JSON object with `specversion`). Binary mode: attributes in `ce_*` headers (values
UTF-8), the data as JSON in the value, its media type in `content-type`. Every failure is a
ContractError naming the field: 'value', 'key', an attribute ('id' or, in binary mode, 'ce_id'), or a
data path ('data.customer.id_number').
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from schemas import jsonio
from schemas.actions import RespiteRequested
from schemas.catalog import INBOUND_BY_TYPE
from schemas.envelope import CONTEXT_ATTRIBUTES, CloudEvent
from schemas.errors import ContractError, FieldIssue, contract_error, issues_from_validation
from schemas.keys import parse_key
from schemas.rules import MAX_RESPITE_DAYS

#: Largest record (value plus headers) we accept or publish: 1 MiB, Kafka's default max.message.bytes.
MAX_EVENT_BYTES: Final = 1024 * 1024
STRUCTURED_CONTENT_TYPE: Final = "application/cloudevents+json"
CE_PREFIX: Final = "ce_"
CONTENT_TYPE_HEADER: Final = "content-type"

Headers = Sequence[tuple[str, bytes | None]]


@dataclass(frozen=True)
class InboundEvent:
    """A decoded inbound record: the validated key, the envelope, the typed data and its use case."""

    key: str
    envelope: CloudEvent
    data: BaseModel
    use_case: str


def _header_map(headers: Headers) -> dict[str, bytes]:
    # Header names are matched case-insensitively; the first occurrence wins (as the binding says).
    out: dict[str, bytes] = {}
    for name, value in headers:
        out.setdefault(name.lower(), value or b"")
    return out


def _check_size(value: bytes, headers: Headers) -> None:
    size = len(value) + sum(len(n) + len(v or b"") for n, v in headers)
    if size > MAX_EVENT_BYTES:
        raise ContractError.single("value", "oversized", f"the record is larger than {MAX_EVENT_BYTES} bytes")


def _json(raw: bytes, field: str) -> Any:
    try:
        return jsonio.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ContractError.single(field, "json", "is not valid JSON") from None


def _is_structured(value: bytes, headers: dict[str, bytes]) -> bool:
    content_type = headers.get(CONTENT_TYPE_HEADER, b"").decode("latin-1").split(";")[0].strip().lower()
    if content_type == STRUCTURED_CONTENT_TYPE:
        return True
    if any(name.startswith(CE_PREFIX) for name in headers):
        return False
    return value.lstrip()[:1] == b"{" and b'"specversion"' in value


def _binary_attributes(headers: dict[str, bytes]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    for name, raw in headers.items():
        if name.startswith(CE_PREFIX):
            try:
                attributes[name.removeprefix(CE_PREFIX)] = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ContractError.single(name, "format", "header values are UTF-8") from None
    if CONTENT_TYPE_HEADER in headers:
        attributes["datacontenttype"] = headers[CONTENT_TYPE_HEADER].decode("latin-1").split(";")[0].strip()
    return attributes


def parse_envelope(value: bytes | None, headers: Headers) -> tuple[CloudEvent, bool]:
    """The envelope of a record (any type) and whether it came in binary mode."""
    if value is None:
        raise ContractError.single("value", "required", "the record has no value")
    _check_size(value, headers)
    header_map = _header_map(headers)
    binary = not _is_structured(value, header_map)
    if binary:
        attributes = _binary_attributes(header_map)
        if not attributes:
            raise ContractError.single("value", "not_cloudevent", "neither a structured nor a binary-mode CloudEvent")
        for required in ("id", "source", "type", "specversion"):
            if required not in attributes:
                raise ContractError.single(f"ce_{required}", "required", f"binary mode needs the ce_{required} header")
        attributes["data"] = _json(value, "value") if value else None
    else:
        attributes = _json(value, "value")
        if not isinstance(attributes, dict):
            raise ContractError.single("value", "not_cloudevent", "a structured CloudEvent is a JSON object")
    try:
        envelope = CloudEvent.model_validate(attributes)
    except ValidationError as exc:
        issues = issues_from_validation(exc)
        if binary:  # name the header the producer set, not the attribute
            issues = [
                i.model_copy(update={"field": f"ce_{i.field}"}) if i.field.split(".")[0] in CONTEXT_ATTRIBUTES else i
                for i in issues
            ]
        raise ContractError(issues) from None
    return envelope, binary


def decode_event(key: bytes | None, value: bytes | None, headers: Headers) -> InboundEvent:
    """Validate one inbound record end to end: size, envelope, known type, data, key."""
    envelope, binary = parse_envelope(value, headers)
    return decode_data(key, envelope, binary)


def type_field(binary: bool) -> str:
    """The name a producer gave the event type: the `ce_type` header in binary mode, else `type`."""
    return "ce_type" if binary else "type"


def decode_data(key: bytes | None, envelope: CloudEvent, binary: bool) -> InboundEvent:
    """The rest of `decode_event` once the envelope is read: known type, data, key."""
    use_case = INBOUND_BY_TYPE.get(envelope.type)
    if use_case is None:
        raise ContractError.single(type_field(binary), "unknown_type", "no inbound use case handles this event type")
    if not isinstance(envelope.data, dict):
        raise ContractError.single("data", "required", "the event data must be a JSON object")
    try:
        data = use_case.model.model_validate(envelope.data)
    except ValidationError as exc:
        raise contract_error(exc, prefix="data") from None
    issues = _against_envelope(data, envelope.time)
    if issues:
        raise ContractError(issues)
    record_key = parse_key(key)
    if record_key != data.aggregate_key():
        raise ContractError.single("key", "mismatch", "the record key must be the event's aggregate key")
    return InboundEvent(key=record_key, envelope=envelope, data=data, use_case=use_case.name)


def _against_envelope(data: BaseModel, time: datetime | None) -> list[FieldIssue]:
    """Rules that need the event time: a respite is in the future and not too far in it."""
    if isinstance(data, RespiteRequested) and time is not None:
        today: date = time.date()
        if data.respite_until <= today:
            return [FieldIssue(field="data.respite_until", rule="in_past", message="must be after the event time")]
        if data.respite_until > today + timedelta(days=MAX_RESPITE_DAYS):
            message = f"at most {MAX_RESPITE_DAYS} days after the event time"
            return [FieldIssue(field="data.respite_until", rule="max_days", message=message)]
    return []


def encode_event(event: CloudEvent) -> bytes:
    """Structured-mode JSON bytes (amounts as exact JSON numbers); refuses oversized events."""
    value = jsonio.dumps(event.to_dict())
    if len(value) > MAX_EVENT_BYTES:
        raise ContractError.single("value", "oversized", f"the event is larger than {MAX_EVENT_BYTES} bytes")
    return value


def event_headers(event: CloudEvent) -> list[tuple[str, bytes]]:
    """Headers for a structured-mode record: only content-type (ce_* headers would mean binary mode)."""
    del event  # every structured event gets the same header; the parameter keeps call sites uniform
    return [(CONTENT_TYPE_HEADER, STRUCTURED_CONTENT_TYPE.encode())]
