"""Creditor case actions (use cases 7-10) and their natural-key look-ups for reconciliation.

Every action we send carries the source event id as its reference (`creditor_payment_reference`
on payments, `creditor_reference` on the others), so a write that may have landed can be found
again before it is retried.
"""

from __future__ import annotations

from workers.amili import assumptions
from workers.amili.bodies import (
    CancellationRegistration,
    CreditingRegistration,
    PaymentRegistration,
    RespiteRegistration,
)
from workers.amili.models import Cancellation, Crediting, Payment, Respite
from workers.amili.session import AmiliSession

PAYMENTS = "/creditor--payments"
CREDITINGS = "/creditor--creditings"
CANCELLATIONS = "/creditor--cancellations"
RESPITES = assumptions.RESPITE_COLLECTION


def _by_reference(collection: str, creditor: str, reference: str) -> dict[str, str]:
    return {"creditor": creditor, assumptions.ACTION_REFERENCE_FIELDS[collection]: reference}


class ActionCalls(AmiliSession):
    """Payments, creditings, cancellations and respites, on the Creditor API."""

    async def register_payment(self, body: PaymentRegistration) -> Payment:
        """POST /creditor--payments: the debtor paid the creditor directly."""
        return await self._create(Payment, PAYMENTS, body)

    async def find_payment_by_reference(self, creditor: str, reference: str) -> Payment | None:
        return await self._find_one(Payment, PAYMENTS, _by_reference(PAYMENTS, creditor, reference))

    async def register_crediting(self, body: CreditingRegistration) -> Crediting:
        """POST /creditor--creditings: credit part or all of a case's capital."""
        return await self._create(Crediting, CREDITINGS, body)

    async def find_crediting_by_reference(self, creditor: str, reference: str) -> Crediting | None:
        return await self._find_one(Crediting, CREDITINGS, _by_reference(CREDITINGS, creditor, reference))

    async def register_cancellation(self, body: CancellationRegistration) -> Cancellation:
        """POST /creditor--cancellations: withdraw the case."""
        return await self._create(Cancellation, CANCELLATIONS, body)

    async def find_cancellation_by_reference(self, creditor: str, reference: str) -> Cancellation | None:
        return await self._find_one(Cancellation, CANCELLATIONS, _by_reference(CANCELLATIONS, creditor, reference))

    async def register_respite(self, case_id: str, body: RespiteRegistration) -> Respite:
        """POST the respite for a case; path and body are assumptions (RESPITE_PATH)."""
        return await self._create(Respite, assumptions.RESPITE_PATH, body, case_id=case_id)

    async def find_respite_by_reference(self, creditor: str, reference: str) -> Respite | None:
        return await self._find_one(Respite, RESPITES, _by_reference(RESPITES, creditor, reference))
