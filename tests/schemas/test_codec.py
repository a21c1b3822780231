"""Decoding records: structured and binary mode, and every contract failure named by field and rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from schemas import jsonio
from schemas.catalog import USE_CASES
from schemas.codec import MAX_EVENT_BYTES, decode_event, encode_event, event_headers
from schemas.errors import ContractError
from schemas.samples import example_event, example_json, example_record

INVOICE = USE_CASES["register_invoice"].event_type
RESPITE = USE_CASES["grant_respite"].event_type


def _binary(event_type: str) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    key, _, _ = example_record(event_type)
    envelope = example_json(event_type)
    data = envelope.pop("data")
    envelope.pop("datacontenttype")
    headers = [(f"ce_{name}", str(value).encode()) for name, value in envelope.items()]
    return key, jsonio.dumps(data), [*headers, ("content-type", b"application/json")]


def _error(key, value, headers) -> ContractError:
    with pytest.raises(ContractError) as info:
        decode_event(key, value, headers)
    return info.value


@pytest.mark.parametrize("use_case", sorted(USE_CASES))
def test_every_inbound_example_decodes_in_both_modes(use_case):
    event_type = USE_CASES[use_case].event_type
    structured = decode_event(*example_record(event_type))
    binary = decode_event(*_binary(event_type))
    assert structured.use_case == binary.use_case == use_case
    assert structured.data == binary.data
    assert structured.envelope == binary.envelope


def test_structured_mode_without_content_type_is_recognised():
    key, value, _ = example_record(INVOICE)
    assert decode_event(key, value, []).envelope.id == example_event(INVOICE).id


def test_encoded_events_carry_the_structured_content_type():
    event = example_event(INVOICE)
    assert event_headers(event) == [("content-type", b"application/cloudevents+json")]
    assert jsonio.loads(encode_event(event))["data"]["total_vat"] == example_json(INVOICE)["data"]["total_vat"]


def test_envelope_attributes_and_correlation_are_carried():
    decoded = decode_event(*example_record(INVOICE))
    assert decoded.envelope.correlationid == "order-7781"
    assert decoded.envelope.subject == "INV-2026-0042"
    assert decoded.envelope.source == "https://erp.example.se/billing"
    assert decoded.envelope.time is not None


def test_binary_mode_missing_ce_id_names_the_header():
    key, value, headers = _binary(INVOICE)
    error = _error(key, value, [h for h in headers if h[0] != "ce_id"])
    assert (error.field, error.rule) == ("ce_id", "required")


def test_binary_mode_bad_attribute_names_the_header():
    key, value, headers = _binary(INVOICE)
    headers = [(n, b"not a time" if n == "ce_time" else v) for n, v in headers]
    assert _error(key, value, headers).field == "ce_time"


@pytest.mark.parametrize(
    ("mutate", "field", "rule"),
    [
        (lambda k, v, h: (None, v, h), "key", "required"),
        (lambda k, v, h: (b"no-colon", v, h), "key", "format"),
        (lambda k, v, h: (b"65f1a2b3c4d5e6f708192a3b:INV-OTHER", v, h), "key", "mismatch"),
        (lambda k, v, h: (k, None, h), "value", "required"),
        (lambda k, v, h: (k, b"{not json", h), "value", "json"),
        (
            lambda k, v, h: (k, b"[1, 2]", [("content-type", b"application/cloudevents+json")]),
            "value",
            "not_cloudevent",
        ),
        (lambda k, v, h: (k, b"plain text", []), "value", "not_cloudevent"),
        (lambda k, v, h: (k, v.replace(b"invoice-issued.v1", b"invoice-issued.v9"), h), "type", "unknown_type"),
        (lambda k, v, h: (k, v.replace(b'"specversion":"1.0"', b'"specversion":"0.3"'), h), "specversion", "enum"),
        (lambda k, v, h: (k, v.replace(b'"id":"0b6f', b'"idx":"0b6f'), h), "id", "required"),
        (lambda k, v, h: (k, v.replace(b'"currency":"SEK"', b'"currency":"EUR"'), h), "data.currency", "enum"),
        (lambda k, v, h: (k, v.replace(b"19121212-1212", b"19121212-1213"), h), "data.customer.id_number", "luhn"),
        (
            lambda k, v, h: (k, v.replace(b"2375.00", b"2375.004"), h),
            "data.lines.0.total_price_excluding_vat",
            "max_decimals",
        ),
        (lambda k, v, h: (k, v + b" " * MAX_EVENT_BYTES, h), "value", "oversized"),
    ],
)
def test_contract_failures_name_field_and_rule(mutate, field, rule):
    error = _error(*mutate(*example_record(INVOICE)))
    assert (error.field, error.rule) == (field, rule)
    assert error.errors[0].field == field


def test_all_data_issues_are_reported_together():
    key, value, headers = example_record(INVOICE)
    value = value.replace(b'"currency":"SEK"', b'"currency":"EUR"').replace(b'"kind":"person"', b'"kind":"robot"')
    fields = {issue.field for issue in _error(key, value, headers).errors}
    assert {"data.currency", "data.customer.kind"} <= fields


def test_error_messages_never_contain_the_personnummer():
    key, value, headers = example_record(INVOICE)
    error = _error(key, value.replace(b"19121212-1212", b"19121212-1213"), headers)
    assert "1212" not in str(error)


def _respite_until(days_after_event: int) -> bytes:
    envelope = example_json(RESPITE)
    event_day = date.fromisoformat(envelope["time"][:10])
    envelope["data"]["respite_until"] = (event_day + timedelta(days=days_after_event)).isoformat()
    return jsonio.dumps(envelope)


@pytest.mark.parametrize(("days", "rule"), [(0, "in_past"), (91, "max_days"), (90, None), (1, None)])
def test_respite_must_lie_within_the_window(days, rule):
    key, _, headers = example_record(RESPITE)
    value = _respite_until(days)
    if rule is None:
        assert decode_event(key, value, headers).use_case == "grant_respite"
    else:
        error = _error(key, value, headers)
        assert (error.field, error.rule) == ("data.respite_until", rule)
