"""Use case 15a (partner): create an account with its first creditor, inactive or directly activated.

Option A (`inactive`): the client finishes onboarding in the Amili App. Option B (`direct`): every
activation field is sent up front and the creditor is active at once.
"""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.partner import AccountRequested
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import amili_address, amili_ids, creditor_fields, write_once


@use_case(
    "provision_account", consumes=USE_CASES["provision_account"].topic, event=AccountRequested, reconcile="always"
)
async def provision_account(event: AccountRequested, ctx: Context) -> Succeeded:
    """One account per organisation number: it is looked up before creating."""
    account, reconciled = await write_once(
        ctx.reconcile,
        lambda: ctx.amili.find_account_by_org_no(event.organization_no),
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
    org_no = event.initial_creditor.organization_no
    if creditor is None and org_no is not None:
        # A stored account does not name its first creditor (only the create answer does): look it up.
        found = await ctx.amili.find_creditor_by_org_no(org_no)
        creditor = found.id if found is not None else None
    return Succeeded(
        amili_ids=amili_ids(account=account.id, creditor=creditor),
        detail={"activation": event.activation, "reconciled": reconciled},
    )
