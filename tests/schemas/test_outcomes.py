"""Outcome events: deterministic ids, causation and correlation, and outcomes for undecodable records."""

from __future__ import annotations

from schemas.catalog import EVENT_TYPES, USE_CASES
from schemas.codec import decode_event, encode_event
from schemas.errors import ContractError, FieldIssue
from schemas.outcomes import OUTCOME_TYPES, Outcome, build_outcome, outcome_for_undecodable
from schemas.samples import example_event, example_record

INVOICE = USE_CASES["register_invoice"].event_type


def test_outcome_ids_are_deterministic_per_source_and_status():
    source = example_event(INVOICE)
    first = build_outcome(source, use_case="register_invoice", status="succeeded")
    again = build_outcome(source, use_case="register_invoice", status="succeeded")
    rejected = build_outcome(source, use_case="register_invoice", status="rejected")
    other = build_outcome(source.model_copy(update={"id": "another"}), use_case="register_invoice", status="succeeded")
    assert first.id == again.id
    assert len({first.id, rejected.id, other.id}) == 3


def test_outcome_carries_causation_correlation_subject_and_ids():
    source = example_event(INVOICE)
    outcome = build_outcome(
        source,
        use_case="register_invoice",
        status="succeeded",
        amili_ids={"case": "6601b2c3d4e5f60718293a4b", "ocr_numbers": ["a", "b"]},
        case_url="https://app.amili.se/open?resource=cases&id=6601b2c3d4e5f60718293a4b",
    )
    assert outcome.type == OUTCOME_TYPES["succeeded"]
    assert outcome.causationid == source.id
    assert outcome.correlationid == source.correlationid == "order-7781"
    assert outcome.subject == source.subject
    data = Outcome.model_validate(outcome.data)
    assert data.amili_ids["ocr_numbers"] == ["a", "b"]
    assert data.source_event.id == source.id
    assert data.case_url is not None
    assert data.case_url.endswith("6601b2c3d4e5f60718293a4b")


def test_correlation_starts_at_the_source_id_when_absent():
    source = example_event(INVOICE).model_copy(update={"correlationid": None})
    assert build_outcome(source, use_case="register_invoice", status="rejected").correlationid == source.id


def test_rejected_outcome_lists_field_errors_and_encodes():
    issue = FieldIssue(field="data.customer.address.zip_code", rule="amili_validation", message="not valid")
    outcome = build_outcome(example_event(INVOICE), use_case="register_invoice", status="rejected", errors=[issue])
    assert Outcome.model_validate(outcome.data).errors == [issue]
    assert EVENT_TYPES[outcome.type] is Outcome
    assert b'"rule":"amili_validation"' in encode_event(outcome)


def test_undecodable_record_with_a_readable_envelope_gets_a_dead_lettered_outcome():
    key, value, headers = example_record(INVOICE)
    broken = value.replace(b"19121212-1212", b"19121212-1213")
    try:
        decode_event(key, broken, headers)
    except ContractError as exc:
        error = exc
    outcome = outcome_for_undecodable(
        broken, headers, use_case="register_invoice", error=error, topic="billing.invoice-issued", offset=7
    )
    assert outcome is not None
    assert outcome.type == OUTCOME_TYPES["dead_lettered"]
    data = Outcome.model_validate(outcome.data)
    assert data.errors[0].field == "data.customer.id_number"
    assert data.detail == {"topic": "billing.invoice-issued", "offset": 7}


def test_unreadable_record_gets_no_outcome():
    error = ContractError.single("value", "json", "is not valid JSON")
    assert outcome_for_undecodable(b"{broken", [], use_case="register_invoice", error=error) is None
