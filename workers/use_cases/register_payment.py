"""Use case 7: tell Amili the debtor paid the creditor directly, so collection stops or shrinks."""

from __future__ import annotations

from schemas.actions import PaymentReceived
from schemas.catalog import USE_CASES
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import act_on_case, action_reference, action_status, amili_ids


@use_case("register_payment", consumes=USE_CASES["register_payment"].topic, event=PaymentReceived, reconcile="always")
async def register_payment(event: PaymentReceived, ctx: Context) -> Succeeded:
    """Registered once per `creditor_payment_reference` (the producer's reference or the event identity);
    Amili's status (e.g. `warning` on a closed case, nothing settled) travels in the outcome."""
    reference = action_reference(event.payment_reference, ctx)
    case_id, payment, reconciled = await act_on_case(
        ctx,
        event,
        reference,
        lambda creditor, ref, _case: ctx.amili.find_payment_by_reference(creditor, ref),
        lambda case_id: ctx.amili.register_payment(
            bodies.PaymentRegistration(
                creditor=event.creditor.id,
                case=case_id,
                currency=event.currency,
                amount=event.amount,
                bank_transaction_date=event.bank_transaction_date,
                creditor_payment_reference=reference,
            )
        ),
    )
    status, reason = action_status("payment", payment, "data.amount")
    return Succeeded(
        amili_ids=amili_ids(payment=payment.id, case=case_id),
        case_id=case_id,
        detail={"settled_amount": payment.settled_amount, "reconciled": reconciled},
        amili_status=status,
        amili_status_reason=reason,
    )
