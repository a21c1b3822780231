"""Realistic, valid billing events for the demo and the tests: Swedish debtors, VAT lines, OCR numbers.

Everything is drawn from a seeded `random.Random`, so a run is repeatable. Names and addresses are
invented; personnummer and organisationsnummer are generated with real dates and Luhn check digits
(they are test data, not real people).
"""

from __future__ import annotations

import base64
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from schemas.actions import (
    CaseStatusRequested,
    CreditIssued,
    DocumentAttached,
    InvoiceCancelled,
    PaymentReceived,
    RespiteRequested,
)
from schemas.catalog import USE_CASES
from schemas.codec import encode_event, event_headers
from schemas.common import Address, CaseRef, CreditorRef, Customer, EventData
from schemas.envelope import new_event
from schemas.partner import AccountRequested, CreditorRequested, CreditorSetup, PayoutDetails, UserInvited
from schemas.registrations import ClaimHandedOver, Debt, InvoiceIssued, InvoiceLine
from schemas.sweden import luhn_digit

CENT = Decimal("0.01")
FIRST_NAMES = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Per", "Emma", "Nils", "Elin", "Olof")
LAST_NAMES = ("Svensson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson", "Persson", "Lind")
STREETS = ("Storgatan", "Kungsgatan", "Drottninggatan", "Skolgatan", "Björkvägen", "Ängsvägen", "Kyrkogatan")
CITIES = (("Stockholm", "111"), ("Göteborg", "411"), ("Malmö", "211"), ("Uppsala", "753"), ("Umeå", "903"))
ARTICLES = (
    ("Konsulttimmar", Decimal("950.00"), 25),
    ("Licens, månad", Decimal("499.00"), 25),
    ("Livsmedel", Decimal("129.90"), 12),
    ("Kurslitteratur", Decimal("199.00"), 6),
    ("Hyra lokal", Decimal("4500.00"), 25),
    ("Frakt", Decimal("79.00"), 25),
)
#: A tiny but real PDF, the "original invoice" attached inline.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Record:
    """A record ready to publish: topic, key, value, headers, and the event id (for bookkeeping)."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    event_id: str
    use_case: str


def record(
    use_case: str,
    data: EventData,
    *,
    event_id: str | None = None,
    correlation: str | None = None,
    topic: str | None = None,
) -> Record:
    """The record of an event for `use_case`, on its own topic or on `topic` (a stream that carries it)."""
    spec = USE_CASES[use_case]
    event = new_event(
        spec.event_type,
        data,
        source="https://erp.demo.example/billing",
        id=event_id or str(uuid.uuid4()),
        correlationid=correlation,
    )
    return Record(
        topic or spec.topic,
        data.aggregate_key().encode(),
        encode_event(event),
        event_headers(event),
        event.id,
        use_case,
    )


class Traffic:
    """Builds valid events for the given creditors (Amili creditor id -> account id)."""

    def __init__(self, creditors: dict[str, str], seed: int = 7, today: date | None = None) -> None:
        self.rng = random.Random(seed)
        self.creditors = [CreditorRef(id=c, account=a) for c, a in sorted(creditors.items())]
        self.today = today or datetime.now(UTC).date()
        self._serial = 0

    # --- identities ------------------------------------------------------------------------------
    def personnummer(self) -> str:
        born = date(1950, 1, 1) + timedelta(days=self.rng.randrange(0, 18000))
        serial = f"{self.rng.randrange(0, 1000):03d}"
        body = born.strftime("%y%m%d") + serial
        return born.strftime("%Y%m%d") + "-" + serial + luhn_digit(body)

    def organisationsnummer(self) -> str:
        head = f"55{self.rng.randrange(2, 10)}{self.rng.randrange(0, 1_000_000):06d}"  # third digit >= 2
        return f"{head[:6]}-{head[6:]}{luhn_digit(head)}"

    def ocr(self) -> str:
        body = f"{self.rng.randrange(10**9, 10**10)}"
        return body + luhn_digit(body)

    def address(self) -> Address:
        city, prefix = self.rng.choice(CITIES)
        return Address(
            address_line_1=f"{self.rng.choice(STREETS)} {self.rng.randrange(1, 120)}",
            zip_code=f"{prefix} {self.rng.randrange(10, 99)}",
            city=city,
        )

    def customer(self) -> Customer:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        if self.rng.random() < 0.8:
            return Customer(
                kind="person",
                name=f"{first} {last}",
                customer_number=f"C-{self.rng.randrange(1000, 99999)}",
                id_number=self.personnummer(),
                address=self.address(),
                mobile_number=f"+467{self.rng.randrange(0, 10)}{self.rng.randrange(1_000_000, 9_999_999)}",
                email=f"{first.lower()}.{last.lower()}{self.rng.randrange(1, 999)}@example.se",
            )
        return Customer(
            kind="company",
            name=f"{last} {self.rng.choice(('Bygg', 'Handel', 'Konsult', 'Transport'))} AB",
            customer_number=f"C-{self.rng.randrange(1000, 99999)}",
            id_number=self.organisationsnummer(),
            address=self.address(),
        )

    def creditor(self) -> CreditorRef:
        return self.rng.choice(self.creditors)

    def invoice_number(self) -> str:
        self._serial += 1
        return f"INV-{self.today:%Y%m}-{self._serial:05d}-{self.rng.randrange(100, 999)}"

    # --- inbound events --------------------------------------------------------------------------
    def invoice_issued(self, creditor: CreditorRef | None = None, due_in_days: int = 30) -> InvoiceIssued:
        lines = []
        for description, price, vat in self.rng.sample(ARTICLES, self.rng.randrange(1, 4)):
            units = Decimal(self.rng.randrange(1, 9))
            lines.append(
                InvoiceLine(
                    article_description=description,
                    unit_price=price,
                    number_of_units=units,
                    total_price_excluding_vat=_cents(price * units),
                    unit_vat_percent=vat,
                )
            )
        net = sum((line.total_price_excluding_vat for line in lines), Decimal(0))
        vat_total = _cents(
            sum((line.total_price_excluding_vat * line.unit_vat_percent / 100 for line in lines), Decimal(0))
        )
        gross = net + vat_total
        rounded = gross.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        invoice_date = self.today - timedelta(days=self.rng.randrange(0, 10))
        return InvoiceIssued(
            creditor=creditor or self.creditor(),
            invoice_number=self.invoice_number(),
            reference_number=self.ocr(),
            invoice_date=invoice_date,
            invoice_due_date=invoice_date + timedelta(days=due_in_days),
            invoice_headline=f"Faktura {invoice_date:%B}",
            customer=self.customer(),
            lines=lines,
            total_amount_excluding_vat=net,
            total_vat=vat_total,
            amount_rounding=rounded - gross,
            total_amount_including_vat=rounded,
        )

    def claim_handed_over(self, creditor: CreditorRef | None = None, debts: int = 1) -> ClaimHandedOver:
        items = []
        for _ in range(debts):
            invoice_date = self.today - timedelta(days=self.rng.randrange(40, 120))
            items.append(
                Debt(
                    invoice_number=self.invoice_number(),
                    debt_description="Obetald faktura",
                    invoice_date=invoice_date,
                    invoice_due_days_after_invoice_date=30,
                    capital_to_claim=Decimal(self.rng.randrange(300, 25000))
                    + Decimal(self.rng.randrange(0, 100)) / 100,
                )
            )
        return ClaimHandedOver(
            creditor=creditor or self.creditor(),
            reference=items[0].invoice_number,
            first_action=self.rng.choice(("reminder", "debt_collection")),
            customer=self.customer(),
            debts=items,
        )

    def payment(self, creditor: CreditorRef, invoice_number: str, amount: Decimal) -> PaymentReceived:
        return PaymentReceived(
            creditor=creditor,
            case=CaseRef(invoice_number=invoice_number),
            amount=amount,
            bank_transaction_date=self.today,
        )

    def credit(self, creditor: CreditorRef, invoice_number: str, amount: Decimal) -> CreditIssued:
        return CreditIssued(
            creditor=creditor,
            case=CaseRef(invoice_number=invoice_number),
            scope="partial",
            amount=amount,
            credit_invoice=f"CR-{invoice_number}",
        )

    def cancellation(self, creditor: CreditorRef, invoice_number: str) -> InvoiceCancelled:
        return InvoiceCancelled(creditor=creditor, case=CaseRef(invoice_number=invoice_number), reason="Fel kund")

    def respite(self, creditor: CreditorRef, invoice_number: str, days: int = 30) -> RespiteRequested:
        return RespiteRequested(
            creditor=creditor,
            case=CaseRef(invoice_number=invoice_number),
            respite_until=self.today + timedelta(days=days),
            reason="payment_plan",
        )

    def document(self, creditor: CreditorRef, invoice_number: str) -> DocumentAttached:
        return DocumentAttached(
            creditor=creditor,
            case=CaseRef(invoice_number=invoice_number),
            file_name=f"{invoice_number}.pdf",
            content_type="application/pdf",
            content_base64=base64.b64encode(PDF).decode(),
        )

    def status_request(self, creditor: CreditorRef, invoice_number: str) -> CaseStatusRequested:
        return CaseStatusRequested(creditor=creditor, case=CaseRef(invoice_number=invoice_number))

    def user(self, account: str, creditor: str | None, role: str = "user") -> UserInvited:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return UserInvited(
            account=account,
            creditor=creditor,
            user_reference=f"U-{self.rng.randrange(10_000, 99_999)}",
            name=f"{first} {last}",
            email=f"{first.lower()}.{last.lower()}.{self.rng.randrange(1, 9999)}@demo.example",
            oauth_type=self.rng.choice(("microsoft", "google")),
            role=role,
        )

    def creditor_setup(self, reference: str, name: str) -> CreditorSetup:
        giro = f"{self.rng.randrange(100_000, 999_999)}"  # NNN-NNNC: six digits and the check digit
        return CreditorSetup(
            reference=reference,
            name=name,
            organization_no=self.organisationsnummer(),
            standard_debt_description="Obetald faktura",
            sender_address=self.address(),
            invoice_address=self.address(),
            payout_details=PayoutDetails(bankgiro=f"{giro[:3]}-{giro[3:]}{luhn_digit(giro)}"),
        )

    def account_request(self, reference: str, activation: str = "direct") -> AccountRequested:
        name = f"{self.rng.choice(LAST_NAMES)} Partnerkund AB"
        return AccountRequested(
            account_reference=reference,
            name=name,
            organization_no=self.organisationsnummer(),
            activation=activation,
            initial_creditor=self.creditor_setup(f"{reference}-C1", name),
        )

    def creditor_request(self, account: str, reference: str, activation: str = "inactive") -> CreditorRequested:
        return CreditorRequested(
            account=account,
            activation=activation,
            creditor=self.creditor_setup(reference, f"{self.rng.choice(LAST_NAMES)} Dotterbolag AB"),
        )
