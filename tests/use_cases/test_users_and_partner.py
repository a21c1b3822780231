"""invite_user, provision_account and provision_creditor against the sandbox."""

from __future__ import annotations

import pytest

from workers.amili.errors import RejectedError, TransientError
from workers.use_cases.invite_user import invite_user
from workers.use_cases.provision_account import provision_account
from workers.use_cases.provision_creditor import provision_creditor

pytestmark = pytest.mark.anyio


async def test_user_gets_the_creditor_scoped_group_once(rig):
    creditor = rig.creds.creditor_id
    event = rig.traffic.user(rig.creds.account_id, creditor, role="creditor_admin")
    first = await invite_user(event, rig.context("invite_user"))
    again = await invite_user(event, rig.context("invite_user"))
    assert again.amili_ids == first.amili_ids
    assert again.detail["reconciled"] is True
    assert sum((await rig.created("user")).values()) == 1
    groups = {g.id: g for g in await rig.amili.list_access_groups(rig.creds.account_id)}
    user = await rig.amili.get_user(first.amili_ids["user"])
    granted = [groups[grant["access_group"]] for grant in user.data_access]
    assert [(g.type, g.creditor) for g in granted] == [("admin", creditor)]


async def test_user_for_a_creditor_outside_the_account_is_rejected(rig):
    event = rig.traffic.user(rig.creds.account_id, rig.creds.other_creditor_id, role="user")
    with pytest.raises(RejectedError) as refused:
        await invite_user(event, rig.context("invite_user"))
    assert "data.creditor" in refused.value.issues


async def test_partner_account_directly_activated_once(rig):
    event = rig.traffic.account_request("PARTNER-ACC-1", activation="direct")
    await rig.faults({"path": "/accounts", "method": "POST", "drop_after_write_rate": 1, "times": 1})
    with pytest.raises(TransientError):
        await provision_account(event, rig.context("provision_account"))
    result = await provision_account(event, rig.context("provision_account", attempt=2))
    assert result.detail["reconciled"] is True
    assert sum((await rig.created("account")).values()) == 1
    creditor = await rig.amili.get_creditor(result.amili_ids["creditor"])
    assert creditor.is_active is True
    assert creditor.organization_no == event.initial_creditor.organization_no


async def test_partner_account_option_a_leaves_the_creditor_inactive(rig):
    event = rig.traffic.account_request("PARTNER-ACC-2", activation="inactive")
    result = await provision_account(event, rig.context("provision_account"))
    creditor = await rig.amili.get_creditor(result.amili_ids["creditor"])
    assert creditor.is_active is False


async def test_extra_creditor_is_created_once_and_activated_when_asked(rig):
    event = rig.traffic.creditor_request(rig.creds.account_id, "SUB-1", activation="direct")
    first = await provision_creditor(event, rig.context("provision_creditor"))
    assert first.detail["active"] is True
    again = await provision_creditor(event, rig.context("provision_creditor"))
    assert again.amili_ids == first.amili_ids
    assert again.detail["reconciled"] is True
    assert sum((await rig.created("creditor")).values()) == 1
