"""Event identity: `(source, id)` as one short, stable digest that fits Amili's reference fields."""

from __future__ import annotations

import re

from schemas.identity import EVENT_IDENTITY_LENGTH, event_identity


def test_the_same_pair_always_gives_the_same_identity():
    assert event_identity("https://erp.example/billing", "42") == event_identity("https://erp.example/billing", "42")
    # a fixed value: changing the digest would orphan every reference already registered at Amili
    assert event_identity("urn:a", "42") == "487e0afb2e020113621e50126ffe719d"


def test_one_id_from_two_sources_is_two_identities():
    assert event_identity("urn:producer:a", "42") != event_identity("urn:producer:b", "42")
    # no separator trick makes two different pairs collide
    assert event_identity("a\n", "b") != event_identity("a", "\nb")
    assert event_identity("a:", "b") != event_identity("a", ":b")


def test_identity_is_short_lowercase_hex():
    identity = event_identity("https://erp.example/" + "x" * 480, "y" * 200)
    assert re.fullmatch(rf"[0-9a-f]{{{EVENT_IDENTITY_LENGTH}}}", identity)
    assert EVENT_IDENTITY_LENGTH <= 35
