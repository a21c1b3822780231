"""AmiliSettings: env prefix, defaults from the assumptions, and errors that name the field to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from workers.amili import assumptions
from workers.amili.client import AmiliClient
from workers.amili.settings import AmiliSettings


def test_reads_amili_env_and_key_file(monkeypatch, tmp_path: Path, key_pair):
    key_file = tmp_path / "key.pem"
    key_file.write_text(key_pair[0])
    monkeypatch.setenv("AMILI_API_CODE", "code-from-env")
    monkeypatch.setenv("AMILI_PRIVATE_KEY_FILE", str(key_file))
    monkeypatch.setenv("AMILI_READ_TIMEOUT", "12.5")
    settings = AmiliSettings()
    assert settings.api_code == "code-from-env"
    assert settings.read_timeout == 12.5
    assert settings.base_url == assumptions.DEFAULT_BASE_URL
    assert settings.app_url == assumptions.DEFAULT_APP_URL
    credential = settings.creditor_credential()
    assert credential is not None
    assert credential.private_key_pem == key_pair[0].encode()


def test_key_never_shows_in_reprs(key_pair):
    settings = AmiliSettings(api_code="c", private_key=key_pair[0])
    secret_line = key_pair[0].splitlines()[1]
    assert secret_line not in repr(settings)
    assert secret_line not in repr(settings.creditor_credential())


def test_partner_calls_fall_back_to_the_account_credential(key_pair):
    settings = AmiliSettings(api_code="acct", private_key=key_pair[0])
    partner = settings.partner_credential()
    assert partner is not None
    assert partner.api_code == "acct"
    separate = AmiliSettings(api_code="acct", private_key=key_pair[0], partner_api_code="p", partner_private_key="k")
    assert separate.partner_credential().api_code == "p"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "api_code"),
        ({"api_code": "c"}, "private_key"),
        ({"api_code": "c", "private_key": "k", "private_key_file": "/k.pem"}, "private_key_file"),
        ({"private_key": "k", "partner_api_code": "p", "partner_private_key": "k"}, "api_code"),
        ({"api_code": "c", "private_key": "k", "jwt_algorithm": "HS256"}, "jwt_algorithm"),
        ({"api_code": "c", "private_key": "k", "read_timeout": 0}, "read_timeout"),
    ],
)
def test_bad_settings_name_the_field(kwargs, field):
    with pytest.raises(ValidationError, match=field):
        AmiliSettings(**kwargs)


def test_unreadable_key_file_names_the_field(tmp_path: Path):
    settings = AmiliSettings(api_code="c", private_key_file=tmp_path / "missing.pem")
    with pytest.raises(ValueError, match="private_key_file"):
        AmiliClient.from_settings(settings)


def test_garbage_key_names_the_field_not_the_key():
    settings = AmiliSettings(api_code="c", private_key="not-a-pem-TOPSECRET")
    with pytest.raises(ValueError, match="private_key") as caught:
        AmiliClient.from_settings(settings)
    assert "TOPSECRET" not in str(caught.value)
