"""The demo's traffic: every claim on the claim stream (its registration, then at once what follows it:
payments, credits, cancellations, respites, documents, look-ups), re-sent and malformed records, and the
users and partner onboarding on their own topics."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, replace
from decimal import Decimal

import orjson

from schemas.catalog import CLAIMS_TOPIC
from schemas.common import EventData
from schemas.registrations import InvoiceIssued
from workers.demo.traffic import Record, Traffic, record

#: A creditor of another tenant in the sandbox seed: inviting a user for it must be refused.
FOREIGN_CREDITOR = "5eed0000000000000000c004"


@dataclass(frozen=True)
class Planned:
    record: Record
    kind: str  # "valid", "duplicate" or "poison"


def claim_stream(traffic: Traffic, invoices: int, claims: int) -> list[Planned]:
    """Every claim on billing.claims, its follow-ups right after its registration (no waiting for outcomes),
    claims interleaved; then re-sent registrations and malformed records."""
    rng = traffic.rng
    groups: list[list[Record]] = []
    for _ in range(invoices):
        invoice = traffic.invoice_issued()
        groups.append([_on_stream("register_invoice", invoice), *_invoice_follow_ups(traffic, invoice)])
    for _ in range(claims):
        claim = traffic.claim_handed_over(debts=rng.choice((1, 1, 1, 2)))
        group = [_on_stream("register_case", claim)]
        if rng.random() < 0.3:
            group.append(_on_stream("upload_document", traffic.document(claim.creditor, claim.debts[0].invoice_number)))
        groups.append(group)
    rng.shuffle(groups)
    planned = [Planned(r, "valid") for group in groups for r in group]
    registrations = [p for p in planned if p.record.use_case in ("register_invoice", "register_case")]
    return planned + duplicates(rng, registrations) + poison(traffic)


def _on_stream(use_case: str, data: EventData) -> Record:
    return record(use_case, data, topic=CLAIMS_TOPIC)


def _invoice_follow_ups(traffic: Traffic, invoice: InvoiceIssued) -> list[Record]:
    """What may happen to an invoice: a payment (full or partial), a credit, a cancellation or a respite,
    perhaps its original PDF and a status look-up."""
    rng = traffic.rng
    out: list[Record] = []
    total = invoice.total_amount_excluding_vat + invoice.total_vat
    roll = rng.random()
    creditor, number = invoice.creditor, invoice.invoice_number
    if roll < 0.15:
        out.append(_on_stream("register_payment", traffic.payment(creditor, number, total)))
    elif roll < 0.30:
        part = (total * Decimal(rng.randrange(10, 60)) / 100).quantize(Decimal("0.01"))
        out.append(_on_stream("register_payment", traffic.payment(creditor, number, part)))
    elif roll < 0.40:
        part = (total * Decimal(rng.randrange(5, 30)) / 100).quantize(Decimal("0.01"))
        out.append(_on_stream("credit_case", traffic.credit(creditor, number, part)))
    elif roll < 0.45:
        out.append(_on_stream("cancel_case", traffic.cancellation(creditor, number)))
    elif roll < 0.50:
        out.append(_on_stream("grant_respite", traffic.respite(creditor, number, days=rng.randrange(10, 60))))
    if rng.random() < 0.2:
        out.append(_on_stream("upload_document", traffic.document(creditor, number)))
    if rng.random() < 0.1:
        out.append(_on_stream("lookup_case_status", traffic.status_request(creditor, number)))
    return out


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
    good = _on_stream("register_invoice", traffic.invoice_issued())
    event = orjson.loads(good.value)
    bad_id_number = orjson.loads(good.value)
    bad_id_number["id"] = str(uuid.uuid4())
    bad_id_number["data"]["customer"]["id_number"] = "19121212-1213"  # wrong Luhn digit
    bad_id_number["data"]["customer"]["kind"] = "person"
    # An event type nobody handles: the claim stream dead-letters it, naming the `type` field.
    unknown = dict(event, id=str(uuid.uuid4()), type="se.amili-fleet.billing.invoice-teleported.v1")
    fractional = orjson.loads(good.value)
    fractional["id"] = str(uuid.uuid4())
    fractional["data"]["lines"][0]["unit_price"] = "10.005"  # three decimals: not money
    raw = [
        replace(good, value=b'{"specversion": "1.0", "id": "broken', event_id=""),  # not JSON
        replace(good, value=orjson.dumps(bad_id_number), event_id=bad_id_number["id"]),
        replace(good, value=orjson.dumps(unknown), event_id=unknown["id"]),
        replace(good, value=orjson.dumps(fractional), event_id=fractional["id"]),
        replace(good, key=b"", event_id=event["id"] + "-nokey"),  # no aggregate key
    ]
    return [Planned(r, "poison") for r in raw]


def onboarding(traffic: Traffic, account: str) -> list[Planned]:
    """Users and a partner onboarding (one account activated directly, one left for the App, one creditor) on
    their own topics, and two business answers "no": a payment for an invoice Amili never sees (it waits
    for the case, bounded, then is rejected) and a user for a creditor of another tenant."""
    rng = traffic.rng
    stranger = traffic.creditors[0]
    out = [_on_stream("register_payment", traffic.payment(stranger, "INV-NEVER-REGISTERED", Decimal("100.00")))]
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
