"""Finance exports (use cases 11-12) and user management (use case 14, with our assumed user update)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

from workers.amili import assumptions
from workers.amili.bodies import AccessGrant, UserAccess, UserCreation
from workers.amili.models import AccessGroup, Payout, PayoutSpecification, User
from workers.amili.session import AmiliSession


class FinanceAndUserCalls(AmiliSession):
    """Payout data and users, on the Creditor API."""

    def iter_payout_specifications(
        self,
        where: Mapping[str, Any] | None = None,
        sort: str | None = "_created",
        projection: Mapping[str, int] | None = None,
        page_size: int = assumptions.MAX_RESULTS_LIMIT,
    ) -> AsyncIterator[PayoutSpecification]:
        """GET /finance--payout-specifications (one row per settled transaction), oldest first."""
        return self._iter(
            PayoutSpecification,
            "/finance--payout-specifications",
            where=where,
            sort=sort,
            projection=projection,
            page_size=page_size,
        )

    def iter_payouts(
        self,
        where: Mapping[str, Any] | None = None,
        sort: str | None = "_created",
        projection: Mapping[str, int] | None = None,
        page_size: int = assumptions.MAX_RESULTS_LIMIT,
    ) -> AsyncIterator[Payout]:
        """GET /finance--payouts (aggregates per creditor, category and period), oldest first."""
        return self._iter(
            Payout, "/finance--payouts", where=where, sort=sort, projection=projection, page_size=page_size
        )

    async def list_access_groups(self, account: str) -> list[AccessGroup]:
        """Every access group of an account (account_admin, and admin/user per creditor)."""
        return [group async for group in self._iter(AccessGroup, "/access--groups", where={"account": account})]

    async def create_user(self, body: UserCreation) -> User:
        """POST /users."""
        return await self._create(User, "/users", body)

    async def find_user_by_email(self, email: str, account: str | None = None) -> User | None:
        """The user signing in with this e-mail (`email_oauth`), optionally within one account."""
        where: dict[str, Any] = {"email_oauth": email}
        if account is not None:
            where["account"] = account
        return await self._find_one(User, "/users", where)

    async def get_user(self, user_id: str) -> User:
        return await self._get_document(User, "/users/{id}", user_id)

    async def update_user_access(self, user: User, access_groups: list[str]) -> None:
        """Give an existing user exactly these access groups: PATCH with If-Match and the whole
        `data_access` list (assumptions.USER_UPDATE_PATH: Amili documents no user update)."""
        body = UserAccess(data_access=[AccessGrant(access_group=group) for group in access_groups])
        await self._send_json(
            "PATCH",
            assumptions.USER_UPDATE_PATH,
            body,
            path_params={"id": user.id},
            headers={"If-Match": user.etag or ""},
        )
