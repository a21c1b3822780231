"""Use case 15b (partner): add a creditor to an existing account, inactive or directly activated."""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.partner import CreditorRequested
from workers.amili import bodies
from workers.amili.models import Creditor
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import creditor_fields, write_once


@use_case(
    "provision_creditor", consumes=USE_CASES["provision_creditor"].topic, event=CreditorRequested, reconcile="always"
)
async def provision_creditor(event: CreditorRequested, ctx: Context) -> Succeeded:
    """One creditor per organisation number. A found creditor that is still inactive although `direct`
    was asked (created by hand, or an earlier request without activation data) is activated with its ETag.
    Amili answers a create with metadata only, so the state of a new creditor is what we sent."""
    direct = event.activation == "direct"
    fields = creditor_fields(event.creditor, activate=direct)
    org_no = event.creditor.organization_no

    async def find() -> Creditor | None:
        # A non-Swedish organisation number has no documented look-up; such creditors are created once per event.
        return None if org_no is None else await ctx.amili.find_creditor_by_org_no(org_no)

    creditor, reconciled = await write_once(
        ctx.reconcile,
        find,
        lambda: ctx.amili.create_creditor(
            bodies.CreditorCreation(**fields.model_dump(exclude_none=True), account=event.account)
        ),
    )
    active = direct if not reconciled else bool(creditor.is_active)
    if reconciled and direct and not active:
        await ctx.amili.activate_creditor(creditor.id, creditor.etag or "", fields)
        active = True
    return Succeeded(
        amili_ids={"creditor": creditor.id, "account": event.account},
        detail={"activation": event.activation, "active": active, "reconciled": reconciled},
    )
