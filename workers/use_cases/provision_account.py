"""Use case 15a (partner): create an account with its first creditor, inactive or directly activated.

Option A (`inactive`): the client finishes onboarding in the Amili App. Option B (`direct`): every
activation field is sent up front and the creditor is active at once.
"""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.partner import AccountRequested
from workers.amili import bodies
from workers.amili.errors import RejectedError
from workers.amili.models import Account
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.creditors import same_creditor
from workers.use_cases.mapping import amili_address, amili_ids, creditor_fields, write_once


@use_case(
    "provision_account", consumes=USE_CASES["provision_account"].topic, event=AccountRequested, reconcile="always"
)
async def provision_account(event: AccountRequested, ctx: Context) -> Succeeded:
    """One account per organisation number: it is looked up before creating, and an account found under
    another name is a near-match, rejected rather than taken for this one."""

    async def find() -> Account | None:
        found: Account | None = await ctx.amili.find_account_by_org_no(event.organization_no)
        if found is not None and found.name is not None and found.name != event.name:
            raise RejectedError(
                "Amili holds an account with this organisation number under another name",
                issues={"data.name": "differs from the account Amili holds with this organisation number"},
            )
        return found

    account, reconciled = await write_once(
        ctx.reconcile,
        find,
        lambda: ctx.amili.create_account(
            bodies.AccountCreation(
                name=event.name,
                organization_no=event.organization_no,
                description=event.description,
                agreement_address=None if event.agreement_address is None else amili_address(event.agreement_address),
                initial_creditor_data=creditor_fields(event.initial_creditor, activate=event.activation == "direct"),
            )
        ),
    )
    creditor = account.initial_creditor
    if creditor is None:
        # A stored account does not name its first creditor (only the create answer does): look it up
        # within this account, by the one creditor rule (a near-match is rejected, never reported as it).
        fields = creditor_fields(event.initial_creditor, activate=event.activation == "direct")
        found = await same_creditor(ctx.amili, account.id, fields, "data.initial_creditor")
        creditor = found.id if found is not None else None
    return Succeeded(
        amili_ids=amili_ids(account=account.id, creditor=creditor),
        detail={"activation": event.activation, "reconciled": reconciled},
    )
