"""Shared translation from our event contracts to Amili's request bodies, and the case look-up.

Only what two or more use cases share lives here (the debtor, addresses, the case a creditor action
targets, the natural key of an action); a use case's own fields are mapped in its module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from schemas.actions import CaseEvent
from schemas.common import Address, CaseRef, Customer
from schemas.partner import CreditorSetup
from workers.amili import assumptions, bodies
from workers.amili.errors import CaseNotFoundError, FieldRefused, RejectedError
from workers.amili.models import CreditorAction

T = TypeVar("T")

#: Amili's VAT notation on invoice lines.
_VAT = "{:d}%"


def amili_address(address: Address) -> bodies.Address:
    return bodies.Address(
        address_line_1=address.address_line_1,
        address_line_2=address.address_line_2,
        zip_code=address.zip_code,
        city=address.city,
        country=address.country,
    )


def amili_customer(customer: Customer) -> bodies.Customer:
    """Our `kind` becomes exactly one of Amili's is_person / is_company / is_foreign flags."""
    return bodies.Customer(
        name=customer.name,
        customer_number=customer.customer_number,
        id_number=customer.id_number,
        is_person=True if customer.kind == "person" else None,
        is_company=True if customer.kind == "company" else None,
        is_foreign=True if customer.kind == "foreign" else None,
        address=amili_address(customer.address),
        mobile_number=customer.mobile_number,
        email=customer.email,
    )


def vat_percent(rate: int) -> str:
    return _VAT.format(int(rate))


async def resolve_case_id(amili: Any, creditor: str, case: CaseRef) -> str:
    """The Amili case id of the claim: given by the producer, or looked up by invoice number."""
    if case.case_id is not None:
        return case.case_id
    found = await amili.find_case_by_invoice_number(creditor, case.invoice_number)
    if found is None:
        raise CaseNotFoundError(
            "Amili has no case with this invoice number for the creditor",
            issues={"data.case.invoice_number": "no case with this invoice number at Amili"},
        )
    return str(found.id)


def action_reference(explicit: str | None, ctx: Any) -> str:
    """The natural key an action is registered (and later looked up) under: the producer's own
    reference when it sent one (its business key: two events with one reference are one payment),
    otherwise the event's identity, a digest of `(source, id)` that is stable across re-deliveries and
    never shared by two producers' events (`schemas.identity`)."""
    return explicit or str(ctx.event_identity)


def action_status(action: str, document: CreditorAction, field: str) -> tuple[str | None, str | None]:
    """Amili's processing status of a stored action and its reason, judged by the one rule
    (`assumptions.ACTION_REJECTED_STATUSES`): `error` is a rejection naming `field`; `completed`,
    `warning` and unknown values succeed and travel in the outcome's `amili_status`."""
    status = (
        document.status or getattr(document, "payment_status", None) or getattr(document, "cancellation_status", None)
    )
    reason = document.status_reason_locale
    if status in assumptions.ACTION_REJECTED_STATUSES:
        raise RejectedError(
            f"Amili could not apply the {action} ({reason or 'no reason given'})",
            issues={field: reason or str(status)},
            amili_status=status,
            amili_status_reason=reason,
        )
    return status, reason


def amili_ids(**ids: str | None) -> dict[str, str]:
    """The Amili ids an outcome reports, leaving out the ones Amili did not return."""
    return {name: value for name, value in ids.items() if value}


async def write_once(
    reconcile: bool, find: Callable[[], Awaitable[T | None]], write: Callable[[], Awaitable[T]]
) -> tuple[T, bool]:
    """Reconcile mode in one place: when an earlier attempt may have landed, look the natural key up
    and return what Amili already has (True) instead of writing it a second time."""
    if reconcile:
        existing = await find()
        if existing is not None:
            return existing, True
    return await write(), False


def creditor_fields(setup: CreditorSetup, activate: bool) -> bodies.CreditorFields:
    """A creditor as Amili's Partner API takes it; `is_active` only when activating directly (option B)."""
    payout = setup.payout_details
    return bodies.CreditorFields(
        name=setup.name,
        organization_no=setup.organization_no,
        non_swedish_organization_no=setup.non_swedish_organization_no,
        description=setup.description,
        standard_debt_description=setup.standard_debt_description,
        sender_address=None if setup.sender_address is None else amili_address(setup.sender_address),
        invoice_address=None if setup.invoice_address is None else amili_address(setup.invoice_address),
        payout_details=None
        if payout is None
        else {"sek": {"bankgiro": payout.bankgiro} if payout.bankgiro else {"plusgiro": str(payout.plusgiro)}},
        default_letter_locale=setup.default_letter_locale,
        is_active=True if activate else None,
    )


async def act_on_case(
    ctx: Any,
    event: CaseEvent,
    reference: str,
    find: Callable[[str, str, str], Awaitable[T | None]],
    write: Callable[[str], Awaitable[T]],
) -> tuple[str, T, bool]:
    """What every creditor action shares: find the claim's case, then write once per natural key.

    `find(creditor, reference, case_id)` looks the action up; `write(case_id)` registers it. Returns the
    case id, Amili's document and whether it was already there. When Amili refuses an undocumented field
    we send (FieldRefused: nothing was written), the client leaves it out from then on, and the action
    is looked up by its other key and written once more.
    """
    case_id = await resolve_case_id(ctx.amili, event.creditor.id, event.case)

    async def once() -> tuple[T, bool]:
        return await write_once(
            ctx.reconcile, lambda: find(event.creditor.id, reference, case_id), lambda: write(case_id)
        )

    try:
        document, reconciled = await once()
    except FieldRefused:
        document, reconciled = await once()
    return case_id, document, reconciled
