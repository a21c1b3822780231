"""Partner API (use case 15): partners, account provisioning and creditors.

These calls use the partner credential (falling back to the account credential when no separate
one is configured); the look-ups by organisation number serve the provisioning use cases'
reconciliation, so they run under the same credential as the writes they guard.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from workers.amili import assumptions
from workers.amili.bodies import AccountCreation, CreditorCreation, CreditorFields
from workers.amili.models import Account, Creditor, Partner
from workers.amili.session import AmiliSession


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

    async def find_creditor_by_org_no(self, organization_no: str) -> Creditor | None:
        return await self._find_one(Creditor, "/creditors", {"organization_no": organization_no}, surface="partner")

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
