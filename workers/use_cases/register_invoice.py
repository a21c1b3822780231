"""Use case 1: register a full-service invoice; Amili sends it, follows it up and opens the case."""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.registrations import InvoiceIssued
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import amili_customer, amili_ids, vat_percent


def invoice_registration(event: InvoiceIssued) -> bodies.InvoiceRegistration:
    return bodies.InvoiceRegistration(
        account=event.creditor.account,
        creditor=event.creditor.id,
        invoice_type=event.invoice_type,
        invoice_number=event.invoice_number,
        reference_number=event.reference_number,
        payout_reference=event.payout_reference,
        invoice_date=event.invoice_date,
        invoice_due_date=event.invoice_due_date,
        invoice_delivery_date=event.invoice_delivery_date,
        currency=event.currency,
        invoice_headline=event.invoice_headline,
        invoice_body_text=event.invoice_body_text,
        your_contact=event.your_contact,
        your_reference=event.your_reference,
        our_reference=event.our_reference,
        debt_description=event.debt_description,
        # amount_rounding is not sent: Amili's invoice documents show it as Amili's own result (assumption).
        customer=amili_customer(event.customer),
        matrix=[
            bodies.InvoiceLine(
                article_number=line.article_number,
                article_description=line.article_description,
                unit_price=line.unit_price,
                number_of_units=line.number_of_units,
                total_price_excluding_vat=line.total_price_excluding_vat,
                unit_vat_percent=vat_percent(line.unit_vat_percent),
            )
            for line in event.lines
        ],
    )


@use_case("register_invoice", consumes=USE_CASES["register_invoice"].topic, event=InvoiceIssued, reconcile="always")
async def register_invoice(event: InvoiceIssued, ctx: Context) -> Succeeded:
    """Amili does not refuse a second invoice with the same number, so the number is looked up first."""
    if ctx.reconcile:
        existing = await ctx.amili.find_invoice(event.creditor.id, event.invoice_number)
        if existing is not None:
            return Succeeded(
                amili_ids=amili_ids(invoice=existing.id, case=existing.case),
                case_id=existing.case,
                detail={"reconciled": True},
            )
    result = await ctx.amili.register_invoice(invoice_registration(event))
    return Succeeded(
        amili_ids=amili_ids(invoice_registration=result.id, case=result.case),
        case_id=result.case,
        detail={"reconciled": False},
    )
