"""The demo's traffic, phase by phase: registrations (with duplicates and malformed records), then the
creditor actions, users and a partner onboarding that follow them."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

import orjson

from schemas.catalog import USE_CASES
from schemas.registrations import ClaimHandedOver, InvoiceIssued
from workers.demo.traffic import Record, Traffic, record

#: A creditor of another tenant in the sandbox seed: inviting a user for it must be refused.
FOREIGN_CREDITOR = "5eed0000000000000000c004"


@dataclass(frozen=True)
class Planned:
    record: Record
    kind: str  # "valid", "duplicate" or "poison"


@dataclass
class Registrations:
    planned: list[Planned]
    invoices: list[InvoiceIssued]
    claims: list[ClaimHandedOver]


def registrations(traffic: Traffic, invoices: int, claims: int) -> Registrations:
    rng = traffic.rng
    invoice_events = [traffic.invoice_issued() for _ in range(invoices)]
    claim_events = [traffic.claim_handed_over(debts=rng.choice((1, 1, 1, 2))) for _ in range(claims)]
    planned = [Planned(record("register_invoice", e), "valid") for e in invoice_events]
    planned += [Planned(record("register_case", e), "valid") for e in claim_events]
    rng.shuffle(planned)
    planned += duplicates(rng, planned)
    planned += poison(traffic)
    return Registrations(planned, invoice_events, claim_events)


def duplicates(rng: random.Random, planned: list[Planned]) -> list[Planned]:
    """Re-sent records (same event id: a producer retry) and upstream duplicates (same invoice, new id)."""
    sample = rng.sample(planned, max(2, len(planned) // 20))
    out = [Planned(p.record, "duplicate") for p in sample[: len(sample) // 2]]
    for p in sample[len(sample) // 2 :]:
        event = orjson.loads(p.record.value)
        event["id"] = str(uuid.uuid4())
        out.append(Planned(replace(p.record, value=orjson.dumps(event), event_id=event["id"]), "duplicate"))
    return out


def poison(traffic: Traffic) -> list[Planned]:
    """Records that break the contract: each must end in the dead-letter topic, none may stop the fleet."""
    good = record("register_invoice", traffic.invoice_issued())
    event = orjson.loads(good.value)
    bad_id_number = orjson.loads(good.value)
    bad_id_number["id"] = str(uuid.uuid4())
    bad_id_number["data"]["customer"]["id_number"] = "19121212-1213"  # wrong Luhn digit
    bad_id_number["data"]["customer"]["kind"] = "person"
    unknown = dict(event, id=str(uuid.uuid4()), type="se.amili-fleet.billing.invoice-teleported.v1")
    fractional = orjson.loads(good.value)
    fractional["id"] = str(uuid.uuid4())
    fractional["data"]["lines"][0]["unit_price"] = "10.005"  # three decimals: not money
    invoice_topic = USE_CASES["register_invoice"].topic
    payment_topic = USE_CASES["register_payment"].topic
    raw = [
        replace(good, value=b'{"specversion": "1.0", "id": "broken', event_id=""),  # not JSON
        replace(good, value=orjson.dumps(bad_id_number), event_id=bad_id_number["id"]),
        replace(
            good, topic=payment_topic, value=orjson.dumps(unknown), event_id=unknown["id"], use_case="register_payment"
        ),
        replace(good, value=orjson.dumps(fractional), event_id=fractional["id"]),
        replace(good, topic=invoice_topic, key=b"", event_id=event["id"] + "-nokey"),  # no aggregate key
    ]
    return [Planned(r, "poison") for r in raw]


def actions(traffic: Traffic, regs: Registrations, account: str) -> list[Planned]:
    """What happens after registration: payments, credits, cancellations, respites, documents, look-ups,
    users, and a partner onboarding (one account activated directly, one left for the App, one creditor)."""
    rng = traffic.rng
    out: list[Record] = []
    for invoice in regs.invoices:
        total = invoice.total_amount_excluding_vat + invoice.total_vat
        roll = rng.random()
        creditor, number = invoice.creditor, invoice.invoice_number
        if roll < 0.15:
            out.append(record("register_payment", traffic.payment(creditor, number, total)))
        elif roll < 0.30:
            part = (total * Decimal(rng.randrange(10, 60)) / 100).quantize(Decimal("0.01"))
            out.append(record("register_payment", traffic.payment(creditor, number, part)))
        elif roll < 0.40:
            part = (total * Decimal(rng.randrange(5, 30)) / 100).quantize(Decimal("0.01"))
            out.append(record("credit_case", traffic.credit(creditor, number, part)))
        elif roll < 0.45:
            out.append(record("cancel_case", traffic.cancellation(creditor, number)))
        elif roll < 0.50:
            out.append(record("grant_respite", traffic.respite(creditor, number, days=rng.randrange(10, 60))))
        if rng.random() < 0.2:
            out.append(record("upload_document", traffic.document(creditor, number)))
        if rng.random() < 0.1:
            out.append(record("lookup_case_status", traffic.status_request(creditor, number)))
    for claim in regs.claims:
        if rng.random() < 0.3:
            out.append(record("upload_document", traffic.document(claim.creditor, claim.debts[0].invoice_number)))
    # Business answers "no": a payment for an invoice Amili has never seen, a user for a foreign creditor.
    stranger = traffic.creditors[0]
    out.append(record("register_payment", traffic.payment(stranger, "INV-NEVER-REGISTERED", Decimal("100.00"))))
    out.append(record("invite_user", traffic.user(account, FOREIGN_CREDITOR, "user")))
    creditors = [c.id for c in traffic.creditors]
    for role in ("account_admin", "creditor_admin", "user", "user"):
        out.append(
            record(
                "invite_user", traffic.user(account, None if role == "account_admin" else rng.choice(creditors), role)
            )
        )
    out.append(record("provision_account", traffic.account_request("PARTNER-CLIENT-1", activation="direct")))
    out.append(record("provision_account", traffic.account_request("PARTNER-CLIENT-2", activation="inactive")))
    out.append(record("provision_creditor", traffic.creditor_request(account, "DEMO-SUB-1", activation="inactive")))
    return [Planned(r, "valid") for r in out]
