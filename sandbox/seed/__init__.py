"""Seed files: the accounts, creditors, partners and API codes a sandbox starts (and resets) with.

`demo.json` beside this module is the default. API codes carry PEM public keys; the matching demo
private keys in `keys/` are published on purpose and are not secrets.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The seed used when none is given.
DEMO_SEED = Path(__file__).with_name("demo.json")


class SeedError(ValueError):
    """The seed file is missing, unreadable or inconsistent (the message names the field)."""


@dataclass(frozen=True)
class ApiCode:
    """An API code: who it belongs to (exactly one of account/partner) and its public key."""

    api_code: str
    public_key: str
    account: str | None = None
    partner: str | None = None
    private_key_file: Path | None = None


@dataclass(frozen=True)
class SeedData:
    """The parsed seed: raw documents per collection plus the API codes."""

    path: Path
    partners: list[dict[str, Any]]
    accounts: list[dict[str, Any]]
    creditors: list[dict[str, Any]]
    api_codes: dict[str, ApiCode]


def load_seed(path: Path | str | None = None) -> SeedData:
    """Read and check a seed file (default: the demo seed)."""
    path = Path(path) if path else DEMO_SEED
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SeedError(f"cannot read seed {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise SeedError(f"seed {path}: must be a JSON object")
    codes: dict[str, ApiCode] = {}
    for i, entry in enumerate(raw.get("api_codes", [])):
        where = f"seed {path}: api_codes[{i}]"
        if not entry.get("api_code") or not entry.get("public_key"):
            raise SeedError(f"{where}: api_code and public_key are required")
        if bool(entry.get("account")) == bool(entry.get("partner")):
            raise SeedError(f"{where}: exactly one of account or partner is required")
        key_file = entry.get("private_key_file")
        codes[entry["api_code"]] = ApiCode(
            api_code=entry["api_code"],
            public_key=entry["public_key"],
            account=entry.get("account"),
            partner=entry.get("partner"),
            private_key_file=(path.parent / key_file) if key_file else None,
        )
    accounts = list(raw.get("accounts", []))
    account_ids = {a.get("_id") for a in accounts}
    creditors = list(raw.get("creditors", []))
    for i, creditor in enumerate(creditors):
        if creditor.get("account") not in account_ids:
            raise SeedError(f"seed {path}: creditors[{i}].account: unknown account {creditor.get('account')!r}")
    return SeedData(
        path=path,
        partners=list(raw.get("partners", [])),
        accounts=accounts,
        creditors=creditors,
        api_codes=codes,
    )
