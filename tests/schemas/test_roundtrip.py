"""A model survives JSON unchanged: model -> event -> bytes -> event -> model gives equal models and bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.catalog import EVENT_TYPES, USE_CASES
from schemas.codec import decode_event, encode_event, event_headers
from schemas.envelope import CloudEvent, new_event
from schemas.registrations import InvoiceIssued
from schemas.samples import example_event, example_json
from tests.schemas.helpers import example_data
from tests.schemas.strategies import amounts, personnummer

CENT = Decimal("0.01")


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_example_round_trips(event_type):
    event = example_event(event_type)
    model = EVENT_TYPES[event_type].model_validate(event.data)
    again = CloudEvent.model_validate(example_json(event_type))
    assert encode_event(event) == encode_event(again)
    assert EVENT_TYPES[event_type].model_validate(again.data) == model


@st.composite
def invoices(draw: st.DrawFn) -> InvoiceIssued:
    lines: list[dict[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        price = draw(amounts)
        units = draw(st.decimals(min_value=Decimal("0.5"), max_value=Decimal("40"), places=1))
        total = (price * units).quantize(CENT, rounding=ROUND_HALF_UP)
        lines.append(
            {
                "article_description": draw(st.text(min_size=1, max_size=40)),
                "unit_price": price,
                "number_of_units": units,
                "total_price_excluding_vat": total,
                "unit_vat_percent": draw(st.sampled_from([25, 12, 6, 0])),
            }
        )
    excl = sum((line["total_price_excluding_vat"] for line in lines), Decimal(0))
    vat = sum((line["total_price_excluding_vat"] * line["unit_vat_percent"] / 100 for line in lines), Decimal(0))
    vat = vat.quantize(CENT, rounding=ROUND_HALF_UP)
    data = example_data("register_invoice")
    data["customer"]["id_number"] = draw(personnummer())
    data["lines"] = lines
    data["invoice_date"] = draw(st.dates())
    data["invoice_due_date"] = data["invoice_date"] + timedelta(days=draw(st.integers(0, 90)))
    data.update(total_amount_excluding_vat=excl, total_vat=vat, amount_rounding=Decimal("0.00"))
    data["total_amount_including_vat"] = excl + vat
    return InvoiceIssued.model_validate(data)


@settings(max_examples=40, deadline=None)
@given(invoices(), st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2099, 1, 1)))
def test_invoice_round_trips_through_kafka_bytes(invoice, when):
    event = new_event(
        USE_CASES["register_invoice"].event_type,
        invoice,
        source="https://erp.example.se",
        subject=invoice.invoice_number,
        time=when,
        correlationid="c-1",
    )
    value = encode_event(event)
    decoded = decode_event(invoice.aggregate_key().encode(), value, event_headers(event))
    assert decoded.data == invoice
    assert decoded.envelope == event
    assert encode_event(decoded.envelope) == value


@settings(max_examples=40)
@given(amounts, st.sampled_from(["number", "string"]))
def test_payment_amount_is_exact_in_both_spellings(amount, spelling):
    data = example_data("register_payment")
    data["amount"] = amount if spelling == "number" else format(amount, "f")
    model = USE_CASES["register_payment"].model.model_validate(data)
    event = new_event(USE_CASES["register_payment"].event_type, model, source="urn:test")
    decoded = decode_event(model.aggregate_key().encode(), encode_event(event), [])
    assert decoded.data.amount == amount  # type: ignore[attr-defined]
    assert str(decoded.data.amount) == format(amount, "f")  # type: ignore[attr-defined]
