"""The CloudEvents 1.0 envelope as a pydantic v2 model (attributes, extensions, JSON data).

Why not the official `cloudevents` SDK: its 1.x Kafka binding keeps headers in a dict and decodes data
with `json.loads` (floats, so öre are lost unless every call passes an unmarshaller), and 2.0 (2026)
rewrote the API around its own immutable event classes. We need a pydantic model anyway (validation
errors that name the field, JSON Schema and AsyncAPI export), the envelope is a dozen attributes, and
the Kafka binding is a header prefix; so the envelope is written here, to the spec, in ~100 lines.
Binary and structured mode live in `schemas.codec`.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

#: CloudEvents attributes defined by the spec (everything else is an extension).
CONTEXT_ATTRIBUTES: Final = ("specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time")
#: Extension names: lower-case letters and digits, at most 20 characters (spec 1.0, "Attribute Naming").
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
#: Event types: se.amili-fleet.<domain>.<event-name>.v<major>
TYPE_PATTERN: Final = r"^se\.amili-fleet\.[a-z]+(?:-[a-z]+)*\.[a-z]+(?:-[a-z]+)*\.v[1-9][0-9]*$"
JSON_CONTENT_TYPE: Final = "application/json"


class CloudEvent(BaseModel):
    """One CloudEvent. `data` is JSON-ready (dicts, lists, Decimal); typed models live in the catalog.

    Extensions are extra attributes; ours are `correlationid` (the business flow) and `causationid`
    (the event this one answers). Unknown extensions are kept so a redrive re-publishes them unchanged.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500, description="URI-reference of the producer.")
    type: str = Field(min_length=1, max_length=200)
    datacontenttype: Literal["application/json"] = JSON_CONTENT_TYPE
    dataschema: str | None = Field(default=None, max_length=500)
    subject: str | None = Field(default=None, max_length=200)
    time: AwareDatetime | None = None
    correlationid: str | None = Field(default=None, min_length=1, max_length=200)
    causationid: str | None = Field(default=None, min_length=1, max_length=200)
    data: Any = None

    @model_validator(mode="after")
    def _extension_names(self) -> CloudEvent:
        for name, value in (self.model_extra or {}).items():
            if not _EXTENSION_NAME.match(name):
                raise PydanticCustomError(
                    "extension_name", "extension names are 1-20 lower-case letters or digits", {"field": name}
                )
            if not isinstance(value, str | int | bool) or isinstance(value, float):
                raise PydanticCustomError(
                    "extension_type", "extension values are strings, integers or booleans", {"field": name}
                )
        return self

    @property
    def extensions(self) -> dict[str, Any]:
        """Every extension attribute that is set, ours included."""
        out = {k: v for k, v in (("correlationid", self.correlationid), ("causationid", self.causationid)) if v}
        out.update(self.model_extra or {})
        return out

    def to_dict(self) -> dict[str, Any]:
        """The structured-mode JSON object (unset optional attributes left out)."""
        out: dict[str, Any] = {"specversion": self.specversion, "id": self.id, "source": self.source, "type": self.type}
        for name in ("datacontenttype", "dataschema", "subject"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.time is not None:
            out["time"] = format_time(self.time)
        out.update(self.extensions)
        out["data"] = self.data
        return out


def format_time(value: datetime) -> str:
    """RFC 3339 in UTC with a 'Z' (what every CloudEvents SDK writes and reads)."""
    text = value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return text


def new_event(
    type: str,
    data: BaseModel,
    *,
    source: str,
    subject: str | None = None,
    id: str | None = None,
    time: datetime | None = None,
    correlationid: str | None = None,
    causationid: str | None = None,
) -> CloudEvent:
    """Build an event around a typed data model (ids default to a random UUID, time to now)."""
    return CloudEvent(
        id=id or str(uuid.uuid4()),
        source=source,
        type=type,
        subject=subject,
        time=time or datetime.now(UTC),
        correlationid=correlationid,
        causationid=causationid,
        data=data_to_json(data),
    )


def data_to_json(data: BaseModel) -> dict[str, Any]:
    """A data model as JSON-ready values: Decimal kept, dates as ISO strings, unset optionals left out."""
    dumped: dict[str, Any] = _jsonable(data.model_dump(mode="python", exclude_none=True))
    return dumped


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return format_time(value)
    if hasattr(value, "isoformat"):  # date
        return value.isoformat()
    return value
