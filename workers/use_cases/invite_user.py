"""Use case 14: an Amili App user with one role (account admin, creditor admin or user).

The user is looked up by e-mail within the account first. A new one is created with the role's
access group. An existing one must end up holding what was asked: it gets the access group added
(our assumed user update, `assumptions.USER_UPDATE_PATH`) or the invitation is rejected with the
reason; finding the e-mail alone is never reported as done.
"""

from __future__ import annotations

from schemas.catalog import USE_CASES
from schemas.partner import UserInvited
from workers.amili import bodies
from workers.amili.errors import EndpointError, RejectedError
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


def check_existing(user: User, event: UserInvited) -> None:
    """An existing user Amili cannot turn into the one asked for: a disabled one, or another sign-in."""
    if user.is_enabled is False:
        raise RejectedError(
            "the user exists in Amili but is disabled", issues={"data.email": "this user is disabled in Amili"}
        )
    if user.oauth_type is not None and user.oauth_type != event.oauth_type:
        raise RejectedError(
            "the user exists in Amili with another sign-in method",
            issues={"data.oauth_type": f"the existing user signs in with {user.oauth_type}"},
        )


async def grant(ctx: Context, user: User, group: AccessGroup) -> bool:
    """Add the access group to an existing user; True when it had to be added."""
    if group.id in user.access_groups:
        return False
    try:
        held = [str(g["access_group"]) for g in user.data_access if g.get("access_group")]
        await ctx.amili.update_user_access(user, [*held, group.id])
    except EndpointError as exc:
        if exc.status != 405:
            raise
        # Amili does not let the API change users: the access cannot be granted here.
        raise RejectedError(
            "the user exists without the requested access, and Amili refuses user updates",
            issues={"data.role": "the user exists without this access; grant it in the Amili App"},
        ) from exc
    return True


@use_case("invite_user", consumes=USE_CASES["invite_user"].topic, event=UserInvited, reconcile="always")
async def invite_user(event: UserInvited, ctx: Context) -> Succeeded:
    """One user per e-mail and account, holding the requested role's access group."""
    groups: list[AccessGroup] = []

    async def group() -> AccessGroup:
        if not groups:
            groups.extend(await ctx.amili.list_access_groups(event.account))
        return pick_access_group(groups, event)

    async def create() -> User:
        user: User = await ctx.amili.create_user(
            bodies.UserCreation(
                account=event.account,
                name=event.name,
                oauth_type=event.oauth_type,
                email_oauth=event.email,
                data_access=[bodies.AccessGrant(access_group=(await group()).id)],
            )
        )
        return user

    user, reconciled = await write_once(
        ctx.reconcile, lambda: ctx.amili.find_user_by_email(event.email, account=event.account), create
    )
    granted = False
    if reconciled:
        check_existing(user, event)
        granted = await grant(ctx, user, await group())
    return Succeeded(
        amili_ids={"user": user.id},
        detail={"role": event.role, "reconciled": reconciled, "access_granted": granted or not reconciled},
    )
