"""Use case 15b (partner): add a creditor to an existing account, inactive or directly activated."""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.partner import CreditorRequested
from workers.amili import bodies
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.creditors import same_creditor
from workers.use_cases.mapping import creditor_fields, write_once


@use_case(
    "provision_creditor", consumes=USE_CASES["provision_creditor"].topic, event=CreditorRequested, reconcile="always"
)
async def provision_creditor(event: CreditorRequested, ctx: Context) -> Succeeded:
    """One creditor per account, organisation number and name (workers/use_cases/creditors.py). A found
    creditor that is still inactive although `direct` was asked (created by hand, or an earlier request
    without activation data) is activated with its ETag; it matched exactly, so activation only adds
    what it lacks. Amili answers a create with metadata only, so the state of a new one is what we sent."""
    direct = event.activation == "direct"
    fields = creditor_fields(event.creditor, activate=direct)
    creditor, reconciled = await write_once(
        ctx.reconcile,
        lambda: same_creditor(ctx.amili, event.account, fields, "data.creditor"),
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
