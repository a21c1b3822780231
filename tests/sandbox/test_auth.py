"""Authentication: JWT assertions against registered keys, opaque tokens that expire, 401s."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.app import create_app
from sandbox.reading import API_KEY_HEADER, TOKEN_EXPIRES_IN_FIELD, TOKEN_FIELD, TOKEN_PATH
from sandbox.seed import DEMO_SEED
from tests.fixtures.sandbox import demo_credentials, make_client, sign_assertion

CREDS = demo_credentials()


def test_a_signed_assertion_buys_a_token_that_opens_the_api(inproc_client):
    response = inproc_client.get(
        TOKEN_PATH, headers={API_KEY_HEADER: sign_assertion(CREDS.account_api_code, CREDS.account_key_path)}
    )

    assert response.status_code == 200
    body = response.json()
    assert body[TOKEN_EXPIRES_IN_FIELD] == 900
    assert len(body[TOKEN_FIELD]) >= 32
    assert inproc_client.get("/cases", headers={API_KEY_HEADER: body[TOKEN_FIELD]}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {API_KEY_HEADER: "not-a-token-we-issued"}, {API_KEY_HEADER: ""}],
    ids=["missing", "foreign", "empty"],
)
def test_calls_without_a_valid_token_are_401_in_eve_shape(inproc_client, headers):
    response = inproc_client.get("/cases", headers=headers)

    assert response.status_code == 401
    assert response.json()["_status"] == "ERR"
    assert response.json()["_error"]["code"] == 401


def test_an_assertion_is_not_an_access_token(inproc_client):
    assertion = sign_assertion(CREDS.account_api_code, CREDS.account_key_path)
    assert inproc_client.get("/cases", headers={API_KEY_HEADER: assertion}).status_code == 401


def test_an_expired_token_is_refused():
    with make_client(create_app(token_ttl=0)) as client:
        token = client.get(
            TOKEN_PATH, headers={API_KEY_HEADER: sign_assertion(CREDS.account_api_code, CREDS.account_key_path)}
        ).json()[TOKEN_FIELD]
        response = client.get("/cases", headers={API_KEY_HEADER: token})

    assert response.status_code == 401
    assert "expired" in response.json()["_error"]["message"]


def test_assertions_signed_with_another_key_expired_or_for_unknown_codes_are_refused(inproc_client):
    wrong_key = sign_assertion(CREDS.account_api_code, CREDS.other_account_key_path)
    expired = jwt.encode(
        {"api_code": CREDS.account_api_code, "exp": int(time.time()) - 5},
        CREDS.account_key_path.read_bytes(),
        algorithm="ES256",
    )
    unknown = sign_assertion("no-such-code", CREDS.account_key_path)
    no_exp = jwt.encode({"api_code": CREDS.account_api_code}, CREDS.account_key_path.read_bytes(), algorithm="ES256")

    answers = {
        name: inproc_client.get(TOKEN_PATH, headers={API_KEY_HEADER: a})
        for name, a in [
            ("wrong_key", wrong_key),
            ("expired", expired),
            ("unknown", unknown),
            ("no_exp", no_exp),
            ("garbage", "abc"),
        ]
    }

    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(answers, 401)
    assert "expired" in answers["expired"].json()["_error"]["message"]
    assert "Unknown API code" in answers["unknown"].json()["_error"]["message"]


def test_rs256_keys_are_accepted_as_documented(tmp_path: Path):
    # Given an API code registered with an RSA public key
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_path = tmp_path / "rsa.pem"
    key_path.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    public = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    seed = json.loads(DEMO_SEED.read_text())
    seed["api_codes"].append({"api_code": "rsa-code", "account": CREDS.account_id, "public_key": public})
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps(seed))

    # When it signs RS256, it gets a token; ES256 with the same code's (wrong) key does not
    with make_client(create_app(seed_path)) as client:
        ok = client.get(TOKEN_PATH, headers={API_KEY_HEADER: sign_assertion("rsa-code", key_path, algorithm="RS256")})
        wrong = client.get(TOKEN_PATH, headers={API_KEY_HEADER: sign_assertion("rsa-code", CREDS.account_key_path)})

    assert ok.status_code == 200
    assert wrong.status_code == 401


def test_partner_endpoints_refuse_account_tokens(account_client):
    assert account_client.get("/partners").json()["_items"] == []
    response = account_client.post(
        "/creditors", json={"account": CREDS.account_id, "name": "X", "organization_no": "5566778899"}
    )
    assert response.status_code == 403
