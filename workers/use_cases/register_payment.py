"""Use case 7: tell Amili the debtor paid the creditor directly, so collection stops or shrinks."""

from __future__ import annotations

from schemas.actions import PaymentReceived
from schemas.catalog import USE_CASES
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import act_on_case, action_reference, amili_ids, reject_error_status


@use_case("register_payment", consumes=USE_CASES["register_payment"].topic, event=PaymentReceived, reconcile="always")
async def register_payment(event: PaymentReceived, ctx: Context) -> Succeeded:
    """Registered once per `creditor_payment_reference` (the producer's reference or the event id)."""
    reference = action_reference(event.payment_reference, ctx.envelope.id)
    case_id, payment, reconciled = await act_on_case(
        ctx,
        event,
        reference,
        ctx.amili.find_payment_by_reference,
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
    reject_error_status("payment", payment.status, payment.status_reason_locale, "data.amount")
    return Succeeded(
        amili_ids=amili_ids(payment=payment.id, case=case_id),
        case_id=case_id,
        detail={"status": payment.status, "settled_amount": payment.settled_amount, "reconciled": reconciled},
    )
