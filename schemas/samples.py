"""The checked-in examples as ready-to-publish records (for tests, the demo and producers' smoke tests).

`example_record(event_type)` gives `(key, value, headers)` exactly as a producer would publish it.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from schemas import jsonio
from schemas.catalog import EVENT_TYPES, INBOUND_BY_TYPE
from schemas.codec import encode_event, event_headers
from schemas.common import EventData
from schemas.envelope import CloudEvent


def example_json(event_type: str) -> Any:
    """The example of `event_type` as parsed JSON (amounts as Decimal)."""
    return jsonio.loads(resources.files("schemas").joinpath("examples", f"{event_type}.json").read_bytes())


def example_event(event_type: str) -> CloudEvent:
    return CloudEvent.model_validate(example_json(event_type))


def example_key(event_type: str) -> str:
    """The record key of the example (for an outcome: the key of the event it answers)."""
    event = example_event(event_type)
    if event_type not in INBOUND_BY_TYPE and event.type.startswith("se.amili-fleet.outcome."):
        return example_key(event.data["source_event"]["type"])
    model = EVENT_TYPES[event_type]
    assert issubclass(model, EventData)
    return model.model_validate(event.data).aggregate_key()


def example_record(event_type: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) of the example, structured mode."""
    event = example_event(event_type)
    return example_key(event_type).encode(), encode_event(event), event_headers(event)
