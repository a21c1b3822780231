"""Use case 14: create an Amili App user with one role (account admin, creditor admin or user)."""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.partner import UserInvited
from workers.amili import bodies
from workers.amili.errors import RejectedError
from workers.amili.models import AccessGroup, User
from workers.runtime.context import Context, Succeeded
from workers.runtime.registry import use_case
from workers.use_cases.mapping import write_once

#: Our role names -> Amili's access group types (creditor_admin is Amili's creditor-scoped `admin`).
ACCESS_GROUP_TYPE = {"account_admin": "account_admin", "creditor_admin": "admin", "user": "user"}


def pick_access_group(groups: list[AccessGroup], event: UserInvited) -> AccessGroup:
    wanted = ACCESS_GROUP_TYPE[event.role]
    for group in groups:
        if group.type != wanted:
            continue
        if wanted == "account_admin" or group.creditor == event.creditor:
            return group
    field = "data.role" if event.role == "account_admin" else "data.creditor"
    raise RejectedError(f"Amili has no {wanted} access group for this user", issues={field: "no such access group"})


@use_case("invite_user", consumes=USE_CASES["invite_user"].topic, event=UserInvited, reconcile="always")
async def invite_user(event: UserInvited, ctx: Context) -> Succeeded:
    """One user per e-mail and account: the e-mail is looked up before creating."""

    async def create() -> User:
        group = pick_access_group(await ctx.amili.list_access_groups(event.account), event)
        user: User = await ctx.amili.create_user(
            bodies.UserCreation(
                account=event.account,
                name=event.name,
                oauth_type=event.oauth_type,
                email_oauth=event.email,
                data_access=[bodies.AccessGrant(access_group=group.id)],
            )
        )
        return user

    user, reconciled = await write_once(
        ctx.reconcile, lambda: ctx.amili.find_user_by_email(event.email, account=event.account), create
    )
    return Succeeded(amili_ids={"user": user.id}, detail={"role": event.role, "reconciled": reconciled})
