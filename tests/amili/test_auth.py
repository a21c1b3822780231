"""Token exchange, caching and renewal: proactive, once on 401, and shared by concurrent callers."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.amili.conftest import API_CODE
from tests.amili.fakes import FakeAmili, Rig, json_response, make_rig
from workers.amili import assumptions
from workers.amili.client import AmiliClient
from workers.amili.errors import AccessDenied, AuthError
from workers.amili.settings import AmiliSettings

pytestmark = pytest.mark.anyio

CASE = "5f0c0c0c0c0c0c0c0c0c0c01"


@pytest.fixture
def case_route(amili: FakeAmili) -> FakeAmili:
    amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE}))
    return amili


def _client(settings: AmiliSettings, handler) -> AmiliClient:
    return AmiliClient(settings, transport=httpx.MockTransport(handler))


def tokens_used(amili: FakeAmili) -> list[str | None]:
    return [r.headers.get(assumptions.API_KEY_HEADER) for r in amili.requests]


async def test_assertion_is_signed_es256_with_api_code_and_ten_minute_expiry(rig: Rig, case_route):
    before = int(time.time())
    await rig.client.get_case(CASE)
    (exchange,) = rig.amili.exchanges
    assert exchange["header"]["alg"] == "ES256"
    assert exchange["claims"]["api_code"] == API_CODE
    assert before + assumptions.ASSERTION_TTL_SECONDS <= exchange["claims"]["exp"] <= int(time.time()) + 601
    assert tokens_used(rig.amili) == ["token-1"]


async def test_token_is_cached_between_calls(rig: Rig, case_route):
    for _ in range(3):
        await rig.client.get_case(CASE)
    assert len(rig.amili.exchanges) == 1
    assert tokens_used(rig.amili) == ["token-1"] * 3


async def test_token_is_renewed_before_it_expires(rig: Rig, case_route):
    # Given: a 900 s token and a 60 s renewal margin
    await rig.client.get_case(CASE)
    # When: time moves to just before the margin, then into it
    rig.advance(839)
    await rig.client.get_case(CASE)
    rig.advance(2)
    await rig.client.get_case(CASE)
    # Then: the third call used a fresh token although the old one still worked
    assert tokens_used(rig.amili) == ["token-1", "token-1", "token-2"]
    assert "token-1" in rig.amili.live_tokens


async def test_missing_expires_in_falls_back_to_the_assumed_ttl(rig: Rig, case_route):
    rig.amili.token_ttl = None
    await rig.client.get_case(CASE)
    rig.advance(assumptions.DEFAULT_TOKEN_TTL_SECONDS - 61)
    await rig.client.get_case(CASE)
    rig.advance(2)
    await rig.client.get_case(CASE)
    assert tokens_used(rig.amili) == ["token-1", "token-1", "token-2"]


async def test_a_401_renews_the_token_once_and_retries(rig: Rig, case_route):
    await rig.client.get_case(CASE)
    rig.amili.revoke_all()  # Amili forgot the token before its announced expiry
    case = await rig.client.get_case(CASE)
    assert case.id == CASE
    assert tokens_used(rig.amili) == ["token-1", "token-1", "token-2"]


async def test_a_second_401_is_an_auth_error(rig: Rig):
    rig.amili.route("GET", f"/cases/{CASE}", json_response(401, {"_status": "ERR"}))
    with pytest.raises(AuthError) as caught:
        await rig.client.get_case(CASE)
    assert caught.value.status == 401
    assert len(rig.amili.exchanges) == 2  # the first token plus exactly one renewal
    assert len(rig.amili.requests) == 2


async def test_403_on_a_call_refuses_that_record_and_keeps_the_token(rig: Rig):
    # A 403 is about this request (an access group that does not cover the creditor), not the credential.
    rig.amili.route("GET", f"/cases/{CASE}", json_response(403, {"_status": "ERR"}))
    with pytest.raises(AccessDenied) as caught:
        await rig.client.get_case(CASE)
    assert not isinstance(caught.value, AuthError)
    assert caught.value.status == 403
    assert len(rig.amili.exchanges) == 1


async def test_concurrent_callers_share_one_exchange(rig: Rig, case_route):
    rig.amili.exchange_delay = 0.01
    await asyncio.gather(*(rig.client.get_case(CASE) for _ in range(20)))
    assert len(rig.amili.exchanges) == 1


async def test_concurrent_401s_share_one_renewal(rig: Rig, case_route):
    await rig.client.get_case(CASE)
    rig.amili.revoke_all()
    rig.amili.exchange_delay = 0.01
    await asyncio.gather(*(rig.client.get_case(CASE) for _ in range(20)))
    assert len(rig.amili.exchanges) == 2
    assert set(tokens_used(rig.amili)[1:]) == {"token-1", "token-2"}


@pytest.mark.parametrize("status", [401, 403, 404, 422])
async def test_refused_exchange_is_an_auth_error_of_the_process(settings: AmiliSettings, status):
    def refuse(request: httpx.Request) -> httpx.Response:
        return json_response(status, {"_status": "ERR"})

    async with _client(settings, refuse) as c:
        with pytest.raises(AuthError) as caught:
            await c.get_case(CASE)
    assert type(caught.value) is AuthError
    assert caught.value.endpoint == assumptions.TOKEN_PATH
    assert caught.value.status == status


async def test_token_response_without_token_is_an_auth_error(settings: AmiliSettings):
    def no_token(request: httpx.Request) -> httpx.Response:
        return json_response(200, {"token": "wrong-field"})

    async with _client(settings, no_token) as c:
        with pytest.raises(AuthError, match="access_token"):
            await c.get_case(CASE)


async def test_algorithm_is_configurable(settings: AmiliSettings):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    rs = AmiliSettings(base_url=settings.base_url, api_code=API_CODE, private_key=pem, jwt_algorithm="RS256")
    amili = FakeAmili(public_keys={API_CODE: public}, algorithm="RS256")
    amili.route("GET", f"/cases/{CASE}", json_response(200, {"_id": CASE}))
    rig = make_rig(rs, amili)
    async with rig.client:
        await rig.client.get_case(CASE)
    assert amili.exchanges[0]["header"]["alg"] == "RS256"
