"""Streams are configuration: the catalog's defaults, a topic prefix, WORKER_STREAMS changes, and every
mistake refused at start-up naming the stream and the field."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from schemas.catalog import CLAIM_LIFECYCLE, USE_CASES
from workers.runtime import registry
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.runtime.routes import RouteError, build_routes
from workers.runtime.settings import WorkerSettings

REAL = registry.discover()
INVOICE = USE_CASES["register_invoice"].event_type
PAYMENT = USE_CASES["register_payment"].event_type


def _routes(**settings: object):
    return build_routes(REAL, WorkerSettings(**settings))  # type: ignore[arg-type]


def test_defaults_are_one_stream_per_use_case_and_the_claim_stream():
    routes = _routes()
    assert set(routes) == set(USE_CASES) | {"claims"}
    for name, spec in USE_CASES.items():
        route = routes[name]
        assert (route.topics, route.group, route.dead_letter_topic) == (
            (spec.topic,),
            f"amili-fleet.{name}",  # unchanged: existing deployments keep their committed offsets
            f"{spec.topic}.dlq",
        )
        assert {t: uc.name for t, uc in route.handlers.items()} == {spec.event_type: name}
    claims = routes["claims"]
    assert (claims.topics, claims.group, claims.dead_letter_topic) == (
        ("billing.claims",),
        "amili-fleet.claims",
        "billing.claims.dlq",
    )
    assert {t: uc.name for t, uc in claims.handlers.items()} == {USE_CASES[n].event_type: n for n in CLAIM_LIFECYCLE}
    assert len(claims.handlers) == 8
    assert "invite_user" not in {uc.name for uc in claims.use_cases}


def test_a_prefix_moves_every_default_topic_and_dead_letter_topic_not_the_groups():
    routes = _routes(topic_prefix="acme.", group_prefix="acme-fleet.")
    assert (routes["claims"].topics, routes["claims"].dead_letter_topic) == (
        ("acme.billing.claims",),
        "acme.billing.claims.dlq",
    )
    assert routes["register_invoice"].topics == ("acme.billing.invoice-issued",)
    assert routes["register_invoice"].group == "acme-fleet.register_invoice"


def test_streams_setting_changes_adds_and_drops_streams(monkeypatch):
    monkeypatch.setenv(
        "WORKER_STREAMS",
        json.dumps(
            {
                "claims": {"topics": ["erp.claim-events", "erp.claim-events-eu"]},
                "invoices_only": {"topics": ["erp.invoices"], "types": {INVOICE: "register_invoice"}},
                "register_invoice": None,
                "register_payment": {"group": "legacy.payments", "dead_letter_topic": "parking"},
            }
        ),
    )
    routes = build_routes(REAL, WorkerSettings(topic_prefix="acme."))
    assert "register_invoice" not in routes
    claims = routes["claims"]
    # Named topics are taken as written (no prefix); the dead letters follow the first one.
    assert (claims.topics, claims.dead_letter_topic) == (
        ("erp.claim-events", "erp.claim-events-eu"),
        "erp.claim-events.dlq",
    )
    assert len(claims.handlers) == 8  # the types stay the catalog's
    new = routes["invoices_only"]
    assert (new.group, new.dead_letter_topic, [uc.name for uc in new.use_cases]) == (
        "amili-fleet.invoices_only",
        "erp.invoices.dlq",
        ["register_invoice"],
    )
    payments = routes["register_payment"]
    assert (payments.topics, payments.group, payments.dead_letter_topic) == (
        ("acme.billing.payment-received",),
        "legacy.payments",
        "parking",
    )


@pytest.mark.parametrize(
    ("streams", "message"),
    [
        ({"x": {"topics": ["t"]}}, "WORKER_STREAMS.x: a new stream needs both topics and types"),
        (
            {"x": {"topics": ["t"], "types": {"se.amili-fleet.billing.nope.v1": "register_invoice"}}},
            "unknown event type",
        ),
        ({"x": {"topics": ["t"], "types": {INVOICE: "register_nothing"}}}, "unknown use case 'register_nothing'"),
        ({"x": {"topics": ["t"], "types": {INVOICE: "register_payment"}}}, "register_payment handles PaymentReceived"),
        ({"x": {"topics": ["billing.invoice-issued"], "types": {INVOICE: "register_invoice"}}}, "already read by"),
        ({"claims": {"dead_letter_topic": "billing.payment-received"}}, "claims.dead_letter_topic"),
        ({"nothing": None}, "no default stream 'nothing' to drop"),
    ],
)
def test_mistakes_are_refused_naming_the_stream(streams, message):
    with pytest.raises(RouteError, match=message.replace(".", r"\.").replace("(", r"\(")):
        _routes(streams=streams)


def test_an_unknown_field_or_a_bad_topic_name_in_a_stream_is_a_settings_error(monkeypatch):
    monkeypatch.setenv("WORKER_STREAMS", json.dumps({"claims": {"topic": "x"}}))
    with pytest.raises(ValidationError, match=r"streams\.claims\.topic"):
        WorkerSettings()
    monkeypatch.setenv("WORKER_STREAMS", json.dumps({"claims": {"topics": ["billing claims"]}}))
    with pytest.raises(ValidationError, match=r"streams\.claims\.topics\.0"):
        WorkerSettings()


def test_a_use_case_outside_the_catalog_gets_a_stream_of_its_own(monkeypatch):
    async def handler(event: object, ctx: Context) -> Succeeded:
        return Succeeded()

    monkeypatch.setattr(registry, "_REGISTRY", dict(REAL))
    use_case("apply_anything", consumes="test.things", dead_letter_topic="test.parking", client="none")(handler)
    route = build_routes(registry.registered(), WorkerSettings())["apply_anything"]
    assert (route.topics, route.dead_letter_topic, route.group) == (
        ("test.things",),
        "test.parking",
        "amili-fleet.apply_anything",
    )
    assert set(route.handlers) == {u.event_type for u in USE_CASES.values()}  # it takes any event type
