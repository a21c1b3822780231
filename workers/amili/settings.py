"""How to reach Amili: base URL, credentials, timeouts and pool sizes (env prefix `AMILI_`).

Loaded once by the runtime (`AmiliSettings()`) and passed to `AmiliClient.from_settings`; nothing
here reads the environment at import time. Key material comes from `AMILI_PRIVATE_KEY` (PEM text)
or `AMILI_PRIVATE_KEY_FILE` (a mounted secret), never from code, and is never logged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workers.amili import assumptions

#: JWT algorithms Amili's newer docs list for the assertion (reference 1.1).
SUPPORTED_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512")


class Credential:
    """One API code and the PEM private key that signs its assertions (the key never appears in repr).

    `key_file` is where the key was read from (a mounted Secret), so a rotated key can be read again.
    """

    __slots__ = ("_private_key_pem", "api_code", "key_file")

    def __init__(self, api_code: str, private_key_pem: bytes, key_file: Path | None = None) -> None:
        self.api_code = api_code
        self._private_key_pem = private_key_pem
        self.key_file = key_file

    @property
    def private_key_pem(self) -> bytes:
        return self._private_key_pem

    def __repr__(self) -> str:
        return f"Credential(api_code={self.api_code!r}, private_key=***)"


def _load_key(field: str, inline: SecretStr | None, path: Path | None) -> bytes:
    if inline is not None:
        return inline.get_secret_value().encode()
    assert path is not None
    try:
        return path.read_bytes()
    except OSError as exc:
        # The path is configuration, not a secret; the error says which field to fix.
        raise ValueError(f"{field}_file: cannot read {path}: {exc.strerror}") from None


class AmiliSettings(BaseSettings):
    """Everything the Amili client needs; every field can be set as `AMILI_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="AMILI_", extra="ignore")

    base_url: str = assumptions.DEFAULT_BASE_URL
    #: Host of the Amili App, for case deep links.
    app_url: str = assumptions.DEFAULT_APP_URL

    # Creditor API credential (an account's API code).
    api_code: str | None = None
    private_key: SecretStr | None = None
    private_key_file: Path | None = None
    jwt_algorithm: str = "ES256"

    # Optional separate Partner API credential; partner calls fall back to the one above without it.
    partner_api_code: str | None = None
    partner_private_key: SecretStr | None = None
    partner_private_key_file: Path | None = None

    connect_timeout: float = Field(default=5.0, gt=0)
    read_timeout: float = Field(default=30.0, gt=0)
    write_timeout: float = Field(default=30.0, gt=0)
    pool_timeout: float = Field(default=5.0, gt=0)
    #: At least the worker's in-flight cap: a record waiting for a free connection would time out as a failure.
    max_connections: int = Field(default=100, ge=1)
    max_keepalive: int = Field(default=100, ge=0)
    #: Connections per pool shard (see workers/amili/pool.py: one large httpx pool costs CPU quadratically).
    pool_shard_size: int = Field(default=8, ge=1)
    #: Renew the access token this many seconds before it expires.
    token_renewal_margin: float = Field(default=60.0, ge=0)

    @model_validator(mode="after")
    def _check_credentials(self) -> Self:
        if self.jwt_algorithm not in SUPPORTED_ALGORITHMS:
            raise ValueError(f"jwt_algorithm: {self.jwt_algorithm!r} is not one of {SUPPORTED_ALGORITHMS}")
        for prefix in ("", "partner_"):
            code = getattr(self, f"{prefix}api_code")
            inline = getattr(self, f"{prefix}private_key")
            path = getattr(self, f"{prefix}private_key_file")
            if inline is not None and path is not None:
                raise ValueError(f"{prefix}private_key and {prefix}private_key_file: set only one of them")
            if code and inline is None and path is None:
                raise ValueError(f"{prefix}private_key: required when {prefix}api_code is set (or _file)")
            if not code and (inline is not None or path is not None):
                raise ValueError(f"{prefix}api_code: required when a {prefix}private_key is set")
        if not self.api_code and not self.partner_api_code:
            raise ValueError("api_code: set AMILI_API_CODE (or AMILI_PARTNER_API_CODE for partner-only use)")
        return self

    def creditor_credential(self) -> Credential | None:
        """The account credential (reads the key file now), or None when only a partner one is set."""
        if not self.api_code:
            return None
        key = _load_key("private_key", self.private_key, self.private_key_file)
        return Credential(self.api_code, key, self.private_key_file)

    def partner_credential(self) -> Credential | None:
        """The Partner API credential, falling back to the account credential when none is set."""
        if not self.partner_api_code:
            return self.creditor_credential()
        key = _load_key("partner_private_key", self.partner_private_key, self.partner_private_key_file)
        return Credential(self.partner_api_code, key, self.partner_private_key_file)
