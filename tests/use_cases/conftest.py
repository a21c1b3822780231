"""Use-case tests run each use case against the real sandbox app in-process (httpx ASGITransport):
the Amili client, its auth and the sandbox's state machine are all real, only the socket is skipped."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from sandbox.app import create_app
from sandbox.faults import ConnectionDropped
from schemas.envelope import CloudEvent
from tests.fixtures.sandbox import Credentials, demo_credentials
from workers.amili.client import AmiliClient
from workers.amili.settings import AmiliSettings
from workers.demo.traffic import Traffic
from workers.runtime.context import Context


class InProcessTransport(httpx.ASGITransport):
    """The sandbox app without a socket; its "drop the connection after the write" fault becomes the
    error a real dropped connection gives httpx."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except ConnectionDropped as exc:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from exc


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Rig:
    amili: AmiliClient
    control: httpx.AsyncClient
    creds: Credentials
    traffic: Traffic
    #: The sandbox's state (`sandbox.app.Sandbox`), for a test that plays Amili doing what no endpoint does.
    sandbox: Any = None

    def context(
        self,
        use_case: str,
        *,
        reconcile: bool = True,
        event_id: str | None = None,
        attempt: int = 1,
        source: str = "urn:test",
    ) -> Context:
        envelope = CloudEvent(id=event_id or str(uuid.uuid4()), source=source, type=f"test.{use_case}", data={})
        return Context(use_case=use_case, envelope=envelope, reconcile=reconcile, attempt=attempt, amili=self.amili)

    async def refuse_fields(self, *rules: dict[str, str]) -> None:
        """Make the sandbox refuse these fields as Eve refuses unknown ones (`/_sandbox/refused-fields`)."""
        (await self.control.put("/_sandbox/refused-fields", json={"rules": list(rules)})).raise_for_status()

    async def ledger(self, **filters: str) -> dict[str, Any]:
        response = await self.control.get("/_sandbox/ledger", params=filters)
        response.raise_for_status()
        return dict(response.json())

    async def created(self, kind: str) -> dict[str, int]:
        """How often the sandbox created each natural key of `kind` (from its ledger)."""
        return dict((await self.ledger())["counts"].get(kind, {}))

    async def faults(self, *rules: dict[str, Any]) -> None:
        (await self.control.put("/_sandbox/faults", json={"seed": 1, "rules": list(rules)})).raise_for_status()


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    creds = demo_credentials()
    app = create_app()
    transport = InProcessTransport(app=app)
    settings = AmiliSettings(
        base_url="http://sandbox.local",
        app_url="http://sandbox.local/app",
        api_code=creds.account_api_code,
        private_key_file=creds.account_key_path,
        partner_api_code=creds.partner_api_code,
        partner_private_key_file=creds.partner_key_path,
    )
    creditors = {c: creds.account_id for c in creds.creditor_ids}
    async with (
        AmiliClient(settings, transport=transport) as amili,
        httpx.AsyncClient(transport=transport, base_url="http://sandbox.local") as control,
    ):
        yield Rig(amili, control, creds, Traffic(creditors, seed=11), app.state.sandbox)


async def open_case(rig: Rig) -> tuple[Any, str]:
    """A registered invoice and its case id, to act on."""
    from workers.use_cases.register_invoice import register_invoice

    event = rig.traffic.invoice_issued()
    result = await register_invoice(event, rig.context("register_invoice"))
    assert result.case_id is not None
    return event, result.case_id
