"""`amili-fleet amili-check`: prove the configured credentials work before the fleet starts.

Loads `AmiliSettings` from the environment, exchanges a token for each configured credential and
reads one page of one collection. Prints one JSON line per check (no ids, no personal data) and
exits 0 only when every check passed; the error class tells the operator what to fix.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator
from typing import Any

import orjson
from pydantic import ValidationError

from workers.amili.client import AmiliClient
from workers.amili.errors import AmiliError
from workers.amili.settings import AmiliSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partner", action="store_true", help="also check the Partner API credential")


async def check_credentials(settings: AmiliSettings, partner: bool) -> int:
    failures = 0
    async with AmiliClient.from_settings(settings) as amili:
        checks: list[tuple[str, str, AsyncIterator[Any]]] = []
        if settings.api_code:
            checks.append(("creditor", "/cases", amili.iter_cases(page_size=1)))
        if partner:
            checks.append(("partner", "/partners", amili.iter_partners()))
        for surface, endpoint, items in checks:
            line: dict[str, object] = {"check": surface, "endpoint": endpoint}
            try:
                async for _ in items:
                    break
                line["ok"] = True
            except AmiliError as exc:
                failures += 1
                line.update(ok=False, error=exc.error_class, status=exc.status)
            sys.stdout.write(orjson.dumps(line).decode() + "\n")
    return 1 if failures else 0


def run(args: argparse.Namespace) -> int:
    try:
        settings = AmiliSettings()
    except ValidationError as exc:
        sys.stderr.write(f"amili settings: {exc}\n")
        return 2
    return asyncio.run(check_credentials(settings, args.partner))
