"""Generate the published contract: one JSON Schema per message and one AsyncAPI 3.0 document.

Everything is derived from the catalog and the models, in a fixed order, so the output is byte-for-byte
reproducible; `schemas/generated/` holds the checked-in copy and a test fails when it is stale.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, Field, create_model
from pydantic.json_schema import models_json_schema

from schemas import deadletter
from schemas.catalog import CLAIMS_TOPIC, OUTCOMES_TOPIC, POLLERS, STREAMS, USE_CASES
from schemas.envelope import CloudEvent
from schemas.keys import KEY_PATTERN
from schemas.outcomes import OUTCOME_TYPES, Outcome
from schemas.pretty import pretty_json
from schemas.samples import example_json, example_key

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
SCHEMA_ID_BASE: Final = "https://amili-fleet.example/schemas/"
ASYNCAPI_FILE: Final = "asyncapi.json"
JSON_SCHEMA_DIR: Final = "json-schema"
VERSION: Final = "1.0.0"


class Message:
    """One message of the AsyncAPI document: an event type on a topic, in or out."""

    def __init__(self, event_type: str, data_model: type[BaseModel], topic: str, action: str, summary: str) -> None:
        self.event_type = event_type
        self.data_model = data_model
        self.topic = topic
        self.action = action  # AsyncAPI: the application "receive"s inbound events, "send"s the rest
        self.summary = summary
        # e.g. InvoiceIssued, OutcomeSucceeded: stable names for components and files
        self.name = data_model.__name__ if data_model is not Outcome else "Outcome" + _camel(event_type.split(".")[3])


def _camel(kebab: str) -> str:
    return "".join(part.capitalize() for part in kebab.split("-"))


def messages() -> list[Message]:
    out = [Message(u.event_type, u.model, u.topic, "receive", f"{u.name}: {_doc(u.model)}") for u in USE_CASES.values()]
    out += [Message(p.event_type, p.model, p.topic, "send", f"{p.name}: {_doc(p.model)}") for p in POLLERS.values()]
    out += [Message(t, Outcome, OUTCOMES_TOPIC, "send", f"Outcome: {s}") for s, t in OUTCOME_TYPES.items()]
    return out


def _doc(model: type[BaseModel]) -> str:
    text = (model.__doc__ or "").strip().splitlines()[0]
    return text.split(": ", 1)[-1]


@cache
def envelope_model(event_type: str, data_model: type[BaseModel], name: str) -> type[CloudEvent]:
    """The envelope with `type` fixed and `data` typed: what one message looks like on the wire."""
    model: type[CloudEvent] = create_model(
        f"{name}Event",
        __base__=CloudEvent,
        __doc__=f"CloudEvents 1.0 structured-mode envelope of `{event_type}`.",
        type=(Literal[event_type], Field(description="Namespaced, versioned event type.")),  # type: ignore[arg-type]
        data=(data_model, ...),
    )
    return model


def json_schema(message: Message) -> dict[str, Any]:
    model = envelope_model(message.event_type, message.data_model, message.name)
    schema = model.model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": f"{SCHEMA_ID_BASE}{message.event_type}.json", **schema}


def asyncapi() -> dict[str, Any]:
    msgs = messages()
    models: list[tuple[type[BaseModel], Literal["validation"]]] = [
        (envelope_model(m.event_type, m.data_model, m.name), "validation") for m in msgs
    ]
    _, defs = models_json_schema(models, ref_template="#/components/schemas/{model}")
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    components_messages: dict[str, Any] = {}
    key_schema = {"type": "string", "pattern": KEY_PATTERN, "description": "<creditor>:<reference> (aggregate key)"}
    for m in msgs:
        example = example_json(m.event_type)
        components_messages[m.name] = {
            "name": m.event_type,
            "title": m.name,
            "summary": m.summary,
            "contentType": "application/cloudevents+json",
            "headers": {
                "type": "object",
                "properties": {"content-type": {"type": "string", "const": "application/cloudevents+json"}},
            },
            "payload": {"$ref": f"#/components/schemas/{m.name}Event"},
            "bindings": {"kafka": {"key": key_schema, "bindingVersion": "0.5.0"}},
            "examples": [
                {
                    "name": m.name,
                    "headers": {"content-type": "application/cloudevents+json"},
                    "payload": example,
                    "summary": f"key: {example_key(m.event_type)}",
                }
            ],
        }
    for topic, m in _placements(msgs):
        channel_id = _channel_id(topic)
        channel = channels.setdefault(
            channel_id, {"address": topic, "description": _channel_description(topic), "messages": {}}
        )
        channel["messages"][m.name] = {"$ref": f"#/components/messages/{m.name}"}
        op_id = f"{m.action}_{channel_id}"
        operation = operations.setdefault(
            op_id, {"action": m.action, "channel": {"$ref": f"#/channels/{channel_id}"}, "messages": []}
        )
        operation["messages"].append({"$ref": f"#/channels/{channel_id}/messages/{m.name}"})
    _dead_letters(channels, operations, components_messages)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "amili-fleet events",
            "version": VERSION,
            "description": "Events between billing systems, the amili-fleet workers and Amili. "
            "Record key: <creditor>:<reference>. Envelope: CloudEvents 1.0 (structured mode published; "
            "binary mode accepted). Amounts: JSON numbers or strings, at most 2 decimals, SEK.",
        },
        "defaultContentType": "application/cloudevents+json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": components_messages, "schemas": defs["$defs"]},
    }


def _placements(msgs: list[Message]) -> list[tuple[str, Message]]:
    """(topic, message) pairs: inbound messages on every stream that carries them, the rest on their topic."""
    by_type = {m.event_type: m for m in msgs}
    inbound = [(topic, by_type[t]) for s in STREAMS.values() for topic in s.topics for t in s.types]
    return inbound + [(m.topic, m) for m in msgs if m.action == "send"]


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_").replace("-", "_")


def _channel_description(topic: str) -> str:
    if topic == CLAIMS_TOPIC:
        return (
            f"Kafka topic {topic}, the claim stream: every event about one claim, keyed <creditor id>:<invoice "
            "number>, handled in the order published. Structured mode, or binary mode (ce_* headers, the data "
            "as the value) as a transactional outbox writes it."
        )
    return f"Kafka topic {topic}."


def _dead_letters(channels: dict[str, Any], operations: dict[str, Any], messages_: dict[str, Any]) -> None:
    headers = {
        name: {"type": "string"} for name in (*deadletter.REQUIRED, deadletter.HTTP_STATUS, deadletter.RESPONSE_EXCERPT)
    }
    messages_["DeadLetter"] = {
        "name": "dead-letter",
        "title": "DeadLetter",
        "summary": "The original record (key, value, headers untouched) plus dlq.* headers.",
        "headers": {"type": "object", "required": list(deadletter.REQUIRED), "properties": headers},
        "payload": {"description": "The original record value, byte for byte."},
    }
    for stream in STREAMS.values():
        dlq = stream.dead_letter_topic
        channel_id = _channel_id(dlq)
        channels[channel_id] = {
            "address": dlq,
            "description": f"Dead letters of {', '.join(stream.topics)}.",
            "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
        }
        operations[f"send_{channel_id}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/DeadLetter"}],
        }


def render() -> dict[str, str]:
    """Every generated file: relative path -> text."""
    files = {f"{JSON_SCHEMA_DIR}/{m.event_type}.json": pretty_json(json_schema(m)) for m in messages()}
    files[ASYNCAPI_FILE] = pretty_json(asyncapi())
    return files


def write(directory: Path) -> list[Path]:
    """Write every generated file under `directory`; returns the paths written."""
    written = []
    for relative, text in render().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
