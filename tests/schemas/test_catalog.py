"""The catalog: fixed use-case names and topics, one naming scheme for types, and the key rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schemas.catalog import (
    EVENT_TYPES,
    OUTCOMES_TOPIC,
    POLLERS,
    TOPICS,
    USE_CASES,
    aggregate_key,
    dead_letter_topic,
)
from schemas.envelope import TYPE_PATTERN
from schemas.errors import ContractError
from schemas.keys import parse_key
from schemas.samples import example_json, example_key

#: The use-case table every engineer codes against (brief: names, topics).
EXPECTED = {
    "register_invoice": "billing.invoice-issued",
    "register_case": "billing.claim-handed-over",
    "upload_document": "billing.document-attached",
    "lookup_case_status": "billing.case-status-requested",
    "register_payment": "billing.payment-received",
    "credit_case": "billing.credit-issued",
    "cancel_case": "billing.invoice-cancelled",
    "grant_respite": "billing.respite-requested",
    "invite_user": "billing.user-invited",
    "provision_account": "partner.account-requested",
    "provision_creditor": "partner.creditor-requested",
}
EXPECTED_POLLERS = {
    "export_open_cases": "amili.open-cases",
    "export_closed_cases": "amili.case-closed",
    "export_payout_specifications": "amili.payout-specified",
    "track_revenue": "amili.revenue-reported",
}


def test_use_case_names_and_topics_are_the_fixed_ones():
    assert {u.name: u.topic for u in USE_CASES.values()} == EXPECTED
    assert {p.name: p.topic for p in POLLERS.values()} == EXPECTED_POLLERS
    assert OUTCOMES_TOPIC in TOPICS
    assert len(set(TOPICS)) == len(TOPICS)


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_type_follows_the_naming_scheme_and_has_an_example(event_type):
    assert re.match(TYPE_PATTERN, event_type)
    assert example_json(event_type)["type"] == event_type


def test_dead_letter_topic():
    assert dead_letter_topic("billing.invoice-issued") == "billing.invoice-issued.dlq"


def test_aggregate_key_builds_and_validates():
    assert aggregate_key("65f1a2b3c4d5e6f708192a3b", "INV-1") == "65f1a2b3c4d5e6f708192a3b:INV-1"
    assert parse_key(b"65f1a2b3c4d5e6f708192a3b:INV-1") == "65f1a2b3c4d5e6f708192a3b:INV-1"
    for creditor, reference in [("a:b", "INV-1"), ("acme", ""), ("acme", "with space"), ("", "INV-1")]:
        with pytest.raises(ContractError) as info:
            aggregate_key(creditor, reference)
        assert info.value.field == "key"


def test_keys_of_one_claim_agree_across_inbound_and_facts():
    invoice_key = example_key(USE_CASES["register_invoice"].event_type)
    assert example_key(USE_CASES["register_payment"].event_type) == invoice_key
    assert example_key(POLLERS["export_closed_cases"].event_type) == invoice_key
    assert example_key(POLLERS["export_payout_specifications"].event_type) == invoice_key


def test_keys_carry_no_personal_data():
    for event_type in EVENT_TYPES:
        key = example_key(event_type)
        assert "@" not in key
        assert "1212" not in key


def test_producers_doc_lists_every_topic_and_type():
    doc = (Path(__file__).parents[2] / "docs" / "producers.md").read_text()
    for use_case in USE_CASES.values():
        assert f"| {use_case.name} | {use_case.topic} | {use_case.event_type.removeprefix('se.amili-fleet.')} |" in doc
    for poller in POLLERS.values():
        assert poller.topic in doc
