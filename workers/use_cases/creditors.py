"""What makes two creditor requests the same creditor: the one rule provision_creditor and
provision_account share (README, "natural keys").

A creditor belongs to one account, and Amili stores no reference of ours on it, so the producer's
`creditor.reference` cannot be looked up. Within the event's account only, by organisation number:

    no creditor of the account has the number      -> none: the creditor is created
    one has it, and every field the request sends
    that Amili holds is equal (the name always)    -> the same creditor (reconciled); activation may
                                                      add only what it lacks
    one has it, but a field differs (another name,
    other payout details or addresses ...)         -> a near-match: `rejected`, naming the first
                                                      differing field; nothing is created, merged,
                                                      renamed or patched

A creditor of another account is never found, so it is never reconciled onto or patched.
"""

from __future__ import annotations

from typing import Any

from workers.amili import bodies
from workers.amili.errors import RejectedError
from workers.amili.models import Creditor
from workers.amili.wire import to_wire

#: Must be held and equal for two requests to be one creditor (besides account and organisation number).
IDENTITY = ("name",)
#: Must be equal where Amili holds them: a creditor whose payout account differs is not the one asked for.
COMPARED = (
    "description",
    "standard_debt_description",
    "sender_address",
    "invoice_address",
    "payout_details",
    "default_letter_locale",
)


async def same_creditor(amili: Any, account: str, fields: bodies.CreditorFields, path: str) -> Creditor | None:
    """The account's creditor this request describes, None when the account has none with its number;
    raises RejectedError naming `<path>.<field>` for a near-match."""
    found: list[Creditor] = await amili.find_creditors(
        account,
        organization_no=fields.organization_no,
        non_swedish_organization_no=fields.non_swedish_organization_no,
    )
    candidates = [c for c in found if c.account in (None, account)]
    if not candidates:
        return None
    wanted = to_wire(fields)
    differing = []
    for creditor in candidates:
        field = first_difference(wanted, creditor)
        if field is None:
            return creditor
        differing.append(field)
    raise RejectedError(
        f"the account already has a creditor with this organisation number whose {differing[0]} differs",
        issues={
            f"{path}.{differing[0]}": "differs from the creditor Amili holds in this account with this "
            "organisation number; it is neither merged with it nor changed"
        },
    )


def first_difference(wanted: dict[str, Any], creditor: Creditor) -> str | None:
    """The first field where the request and Amili's creditor disagree, or None when they match."""
    held = creditor.model_dump(by_alias=True)
    for name in IDENTITY + COMPARED:
        want = wanted.get(name)
        if want is None:
            continue
        have = held.get(name)
        if have is None:
            if name in IDENTITY:
                return name
            continue
        if _without_nulls(have) != _without_nulls(want):
            return name
    return None


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value
