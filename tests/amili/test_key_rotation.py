"""A rotated key (the mounted Secret's file replaced, as the kubelet does) signs the next token exchange,
without a restart; a broken file keeps the key read before and says so, without the key in the log."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.amili.conftest import API_CODE
from tests.amili.fakes import FakeAmili, json_response, make_rig, new_ec_key_pem
from workers.amili.settings import AmiliSettings

pytestmark = pytest.mark.anyio

CASE = "5f0c0c0c0c0c0c0c0c0c0c01"


async def test_a_changed_key_file_signs_the_next_exchange(tmp_path: Path, caplog):
    old_private, old_public = new_ec_key_pem()
    new_private, new_public = new_ec_key_pem()
    key_file = tmp_path / "private-key.pem"
    key_file.write_text(old_private)
    settings = AmiliSettings(base_url="https://amili.test", api_code=API_CODE, private_key_file=key_file)
    amili = FakeAmili(public_keys={API_CODE: old_public})
    amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE}))
    rig = make_rig(settings, amili)
    async with rig.client:
        await rig.client.get_case(CASE)
        # The key is rotated: a new file, and Amili now accepts only the new key and drops the old tokens.
        key_file.write_text(new_private)
        amili.public_keys[API_CODE] = new_public
        amili.revoke_all()
        # The 401 renews the token: the exchange is signed with the new key (FakeAmili verifies it).
        await rig.client.get_case(CASE)
        assert len(amili.exchanges) == 2

        # A half-written file: the next renewal keeps signing with the key it had, and says so.
        key_file.write_text("-----BEGIN PRIVATE KEY-----\ntrunc")
        caplog.set_level(logging.INFO, logger="workers.amili.auth")
        rig.advance(900)
        await rig.client.get_case(CASE)
        assert len(amili.exchanges) == 3
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name.endswith("auth")]
    assert warnings == [f"private_key_file: {key_file} no longer holds a valid key; signing with the key read before"]
    assert "trunc" not in caplog.text
    assert new_private.splitlines()[1] not in caplog.text


async def test_an_inline_key_is_never_read_again(tmp_path: Path):
    private, public = new_ec_key_pem()
    settings = AmiliSettings(base_url="https://amili.test", api_code=API_CODE, private_key=private)
    amili = FakeAmili(public_keys={API_CODE: public})
    amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE}))
    rig = make_rig(settings, amili)
    async with rig.client:
        await rig.client.get_case(CASE)
        rig.advance(900)
        await rig.client.get_case(CASE)
    assert len(amili.exchanges) == 2
