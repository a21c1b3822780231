"""Use case 2: hand unpaid invoices to Amili for reminders or debt collection (collection-only).

Each debt becomes its own case. Amili does not refuse a debt whose invoice number it already has, so
every debt is looked up first and only the missing ones are registered.
"""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.registrations import ClaimHandedOver, Debt
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import amili_customer


def amili_debt(debt: Debt) -> bodies.Debt:
    fees = debt.fees_already_claimed
    included = debt.fees_included_in_capital_to_claim
    return bodies.Debt(
        invoice_number=debt.invoice_number,
        debt_description=debt.debt_description,
        payout_reference=debt.payout_reference,
        invoice_date=debt.invoice_date,
        capital_to_claim=debt.capital_to_claim,
        invoice_due_days_after_invoice_date=debt.invoice_due_days_after_invoice_date,
        fees_included_in_capital_to_claim=None if included is None else {"invoice_fee": included.invoice_fee},
        fees_already_claimed=None
        if fees is None
        else {
            "reminder": bodies.ClaimedFee(
                amount=fees.reminder.amount, fee_registration_date=fees.reminder.fee_registration_date
            )
        },
    )


@use_case("register_case", consumes=USE_CASES["register_case"].topic, event=ClaimHandedOver, reconcile="always")
async def register_case(event: ClaimHandedOver, ctx: Context) -> Succeeded:
    """Register the claim's debts that Amili does not have yet; report every debt's case id."""
    cases: dict[str, str] = {}
    if ctx.reconcile:
        for debt in event.debts:
            found = await ctx.amili.find_case_by_invoice_number(event.creditor.id, debt.invoice_number)
            if found is not None:
                cases[debt.invoice_number] = str(found.id)
    missing = [debt for debt in event.debts if debt.invoice_number not in cases]
    registration_id = None
    if missing:
        result = await ctx.amili.register_case(
            bodies.CaseRegistration(
                account=event.creditor.account,
                creditor=event.creditor.id,
                first_action=event.first_action,
                currency=event.currency,
                customer=amili_customer(event.customer),
                debts=[amili_debt(debt) for debt in missing],
            )
        )
        registration_id = result.id
        cases.update(zip((debt.invoice_number for debt in missing), result.cases, strict=False))
    ids = {f"case:{number}": case for number, case in cases.items()}
    if registration_id:
        ids["case_registration"] = registration_id
    first_case = cases.get(event.debts[0].invoice_number)
    return Succeeded(
        amili_ids=ids,
        case_id=first_case,
        detail={"cases": len(cases), "reconciled": len(event.debts) - len(missing)},
    )
