"""Partner API (use case 15): partners, account provisioning and creditors.

These calls use the partner credential (falling back to the account credential when no separate
one is configured); the look-ups by organisation number serve the provisioning use cases'
reconciliation, so they run under the same credential as the writes they guard. Creditors are looked
up within one account only (`find_creditors`): a creditor never belongs to two accounts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from workers.amili import assumptions
from workers.amili.bodies import AccountCreation, CreditorCreation, CreditorFields
from workers.amili.models import Account, Creditor, Partner
from workers.amili.session import AmiliSession


def org_no_spellings(organization_no: str) -> list[str]:
    """Every way one Swedish organisation number is written: 10 digits, NNNNNN-NNNN, and both with "16"."""
    digits = "".join(ch for ch in organization_no if ch.isdigit())[-10:]
    plain, dashed = digits, f"{digits[:6]}-{digits[6:]}"
    return [plain, dashed, f"16{plain}", f"16{dashed}"]


class PartnerCalls(AmiliSession):
    """Partners, accounts and creditors."""

    def iter_partners(self) -> AsyncIterator[Partner]:
        """GET /partners (Partner API only)."""
        return self._iter(Partner, "/partners", surface="partner")

    async def create_account(self, body: AccountCreation) -> Account:
        """POST the account with its inline first creditor; `initial_creditor` is that creditor's id."""
        return await self._create(Account, assumptions.ACCOUNT_CREATE_PATH, body, surface="partner")

    async def get_account(self, account_id: str) -> Account:
        return await self._get_document(Account, "/accounts/{id}", account_id, surface="partner")

    async def find_account_by_org_no(self, organization_no: str) -> Account | None:
        return await self._find_one(Account, "/accounts", {"organization_no": organization_no}, surface="partner")

    async def create_creditor(self, body: CreditorCreation) -> Creditor:
        """POST /creditors (inactive unless the activation fields and is_active are sent)."""
        return await self._create(Creditor, "/creditors", body, surface="partner")

    async def get_creditor(self, creditor_id: str) -> Creditor:
        return await self._get_document(Creditor, "/creditors/{id}", creditor_id, surface="partner")

    async def find_creditors(
        self, account: str, *, organization_no: str | None = None, non_swedish_organization_no: str | None = None
    ) -> list[Creditor]:
        """The creditors of one account with this organisation number (a creditor belongs to one account,
        so the look-up never leaves it). A Swedish number is matched in each spelling ("5566778899",
        "556677-8899", with or without "16"), since a creditor created in the App may be written either way."""
        where: dict[str, Any] = {"account": account}
        if organization_no is not None:
            where["organization_no"] = {"$in": org_no_spellings(organization_no)}
        elif non_swedish_organization_no is not None:
            where["non_swedish_organization_no"] = non_swedish_organization_no
        else:
            raise ValueError("organization_no or non_swedish_organization_no is required")
        return [c async for c in self._iter(Creditor, "/creditors", where=where, surface="partner")]

    async def update_creditor(self, creditor_id: str, etag: str, changes: CreditorFields) -> Creditor:
        """PATCH /creditors/{id} with If-Match; a stale etag raises ConflictError (412)."""
        body = await self._send_json(
            "PATCH",
            "/creditors/{id}",
            changes,
            path_params={"id": creditor_id},
            headers={"If-Match": etag},
            surface="partner",
        )
        return Creditor.model_validate(body)

    async def activate_creditor(self, creditor_id: str, etag: str, changes: CreditorFields | None = None) -> Creditor:
        """Set `is_active: true`, sending any activation data (addresses, payout details) with it."""
        fields = changes.model_copy(update={"is_active": True}) if changes else CreditorFields(is_active=True)
        return await self.update_creditor(creditor_id, etag, fields)

    async def delete_creditor(self, creditor_id: str, etag: str) -> None:
        """DELETE /creditors/{id} with If-Match (Amili refuses creditors that have cases)."""
        await self._surface("partner").send(
            "DELETE", "/creditors/{id}", path_params={"id": creditor_id}, headers={"If-Match": etag}
        )
