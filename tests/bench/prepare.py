"""The benchmark's data: cases registered at the sandbox, the status requests that target them, the
access token for the bare loops, and the fault rule that gives every Amili call a fixed latency."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from schemas.actions import CaseStatusRequested
from schemas.common import CaseRef, CreditorRef
from workers.amili.assumptions import API_KEY_HEADER, TOKEN_FIELD, TOKEN_PATH
from workers.amili.client import AmiliClient
from workers.amili.settings import AmiliSettings
from workers.demo.stack import DemoCredentials
from workers.demo.traffic import Record, Traffic, record
from workers.use_cases.register_invoice import invoice_registration


@dataclass(frozen=True)
class Case:
    """One benchmark key: the creditor, the invoice number and the Amili case id behind it."""

    creditor: CreditorRef
    invoice_number: str
    case_id: str


def amili_settings(base_url: str, creds: DemoCredentials, connections: int) -> AmiliSettings:
    return AmiliSettings(
        base_url=base_url,
        api_code=creds.account_api_code,
        private_key_file=creds.account_key,
        max_connections=connections,
        max_keepalive=connections,
    )


async def _register(base_url: str, creds: DemoCredentials, count: int, concurrency: int) -> list[Case]:
    traffic = Traffic(creds.creditors, seed=11)
    invoices = [traffic.invoice_issued() for _ in range(count)]
    limit = asyncio.Semaphore(concurrency)
    async with AmiliClient(amili_settings(base_url, creds, concurrency)) as amili:

        async def one(index: int) -> Case:
            invoice = invoices[index]
            async with limit:
                result = await amili.register_invoice(invoice_registration(invoice))
            assert result.case is not None, "the sandbox registered an invoice without a case"
            return Case(invoice.creditor, invoice.invoice_number, result.case)

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def register_cases(base_url: str, creds: DemoCredentials, count: int, concurrency: int = 64) -> list[Case]:
    """Register `count` invoices directly (one case each), `concurrency` at a time."""
    return asyncio.run(_register(base_url, creds, count, concurrency))


def status_requests(cases: list[Case], per_key: int) -> list[Record]:
    """`per_key` status requests per case, in rounds over every key (so each partition mixes many keys)."""
    return [
        record(
            "lookup_case_status",
            CaseStatusRequested(
                creditor=case.creditor, case=CaseRef(invoice_number=case.invoice_number, case_id=case.case_id)
            ),
        )
        for _ in range(per_key)
        for case in cases
    ]


def access_token(base_url: str, creds: DemoCredentials) -> str:
    """An access token for the demo account, exchanged exactly as the client does it."""
    assertion = jwt.encode(
        {"api_code": creds.account_api_code, "exp": int(time.time()) + 600},
        creds.account_key.read_bytes(),
        algorithm="ES256",
    )
    response = httpx.get(base_url + TOKEN_PATH, headers={API_KEY_HEADER: assertion}, timeout=10)
    response.raise_for_status()
    return str(response.json()[TOKEN_FIELD])


def set_latency(base_url: str, ms: float) -> None:
    """Every Amili call (not the sandbox controls) waits `ms`; 0 clears the faults."""
    rules: list[dict[str, Any]] = []
    if ms > 0:
        rules = [{"path": "*", "method": "*", "latency": {"distribution": "fixed", "ms": ms}}]
    httpx.put(f"{base_url}/_sandbox/faults", json={"seed": 0, "rules": rules}, timeout=10).raise_for_status()
