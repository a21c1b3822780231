"""Fixtures for the Amili client's unit tests: a key pair, settings, and a client on a fake Amili."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.amili.fakes import FakeAmili, Rig, make_rig, new_ec_key_pem
from workers.amili.settings import AmiliSettings

API_CODE = "api-code-account-1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def key_pair() -> tuple[str, bytes]:
    return new_ec_key_pem()


@pytest.fixture
def settings(key_pair: tuple[str, bytes]) -> AmiliSettings:
    return AmiliSettings(
        base_url="https://amili.test",
        app_url="https://app.amili.test/",
        api_code=API_CODE,
        private_key=key_pair[0],
        token_renewal_margin=60,
    )


@pytest.fixture
def amili(key_pair: tuple[str, bytes]) -> FakeAmili:
    return FakeAmili(public_keys={API_CODE: key_pair[1]})


@pytest.fixture
async def rig(settings: AmiliSettings, amili: FakeAmili) -> AsyncIterator[Rig]:
    made = make_rig(settings, amili)
    async with made.client:
        yield made
