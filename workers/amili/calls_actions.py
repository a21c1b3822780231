"""Creditor case actions (use cases 7-10) and their natural-key look-ups for reconciliation.

Every action we send carries its natural key as its reference (`creditor_payment_reference` on
payments, `creditor_reference` on the others: the producer's reference or the event's identity), so a
write that may have landed can be found again before it is retried. On cancellations and respites that
field is not documented: when Amili refuses it, the client learns it, leaves it out, and finds those
actions by their case instead (`assumptions.UNDOCUMENTED_FIELDS`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any, TypeVar

from workers.amili import assumptions
from workers.amili.bodies import (
    CancellationRegistration,
    CreditingRegistration,
    PaymentRegistration,
    RespiteRegistration,
)
from workers.amili.models import Cancellation, Crediting, CreditorAction, Payment, Respite
from workers.amili.session import AmiliSession
from workers.amili.wire import to_wire

A = TypeVar("A", bound=CreditorAction)

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

    def iter_payments(self, where: Mapping[str, Any] | None = None) -> AsyncIterator[Payment]:
        """GET /creditor--payments, every page (e.g. where={"case": id}: what Amili holds for a case)."""
        return self._iter(Payment, PAYMENTS, where=where)

    async def find_payment_by_reference(self, creditor: str, reference: str) -> Payment | None:
        return await self._find_one(Payment, PAYMENTS, _by_reference(PAYMENTS, creditor, reference))

    async def register_crediting(self, body: CreditingRegistration) -> Crediting:
        """POST /creditor--creditings: credit part or all of a case's capital."""
        return await self._create(Crediting, CREDITINGS, body)

    async def find_crediting_by_reference(self, creditor: str, reference: str) -> Crediting | None:
        return await self._find_one(Crediting, CREDITINGS, _by_reference(CREDITINGS, creditor, reference))

    async def register_cancellation(self, body: CancellationRegistration) -> Cancellation:
        """POST /creditor--cancellations: withdraw the case (without `creditor_reference` once refused)."""
        return await self._create_assumed(Cancellation, CANCELLATIONS, body)

    async def find_cancellation(self, creditor: str, reference: str, case: str) -> Cancellation | None:
        """The cancellation registered under `reference`, or on `case` where Amili refused the reference."""
        return await self._find_action(
            Cancellation, CANCELLATIONS, CANCELLATIONS, creditor=creditor, case=case, reference=reference
        )

    async def register_respite(self, case_id: str, body: RespiteRegistration) -> Respite:
        """POST the respite for a case; path and body are assumptions (RESPITE_PATH)."""
        return await self._create_assumed(Respite, assumptions.RESPITE_PATH, body, case_id=case_id)

    async def find_respite(self, creditor: str, reference: str, case: str, respite_until: date) -> Respite | None:
        """The respite registered under `reference`, or on `case` until `respite_until` where Amili
        refused the reference."""
        return await self._find_action(
            Respite,
            RESPITES,
            assumptions.RESPITE_PATH,
            creditor=creditor,
            case=case,
            reference=reference,
            respite_until=respite_until,
        )

    async def _find_action(self, model: type[A], collection: str, endpoint: str, **key: Any) -> A | None:
        """By the reference field, unless Amili refused that field on `endpoint`: then by the fields the
        assumption names instead (`UndocumentedField.found_by`)."""
        field = assumptions.ACTION_REFERENCE_FIELDS[collection]
        way_out = assumptions.droppable_fields(endpoint).get(field)
        if way_out is not None and self.refuses(endpoint, field):
            return await self._find_one(model, collection, to_wire({name: key[name] for name in way_out.found_by}))
        return await self._find_one(model, collection, _by_reference(collection, key["creditor"], key["reference"]))
