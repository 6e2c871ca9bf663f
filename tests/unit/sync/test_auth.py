from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
import respx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from adapter.errors import ConfigurationError, FhirServerError
from adapter.sync.auth import SmartBackendServices, load_private_key

TOKEN_URL = "https://auth.example.org/token"


def pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.mark.parametrize(("make", "alg"), [(lambda: ec.generate_private_key(ec.SECP384R1()), "ES384"),
                                           (lambda: rsa.generate_private_key(65537, 2048), "RS384")])  # fmt: skip
def test_client_assertion_is_signed_and_verifiable(tmp_path, make, alg):
    key = make()
    path = tmp_path / "key.pem"
    path.write_bytes(pem(key))
    loaded = load_private_key(path, "k1")
    assert loaded.algorithm == alg and "PRIVATE" not in repr(loaded)
    smart = SmartBackendServices(httpx.AsyncClient(), TOKEN_URL, "client-7", loaded)
    token = smart.assertion(1_000_000.0)
    header = jwt.get_unverified_header(token)
    assert header == {"alg": alg, "kid": "k1", "typ": "JWT"}
    claims = jwt.decode(
        token, key.public_key(), algorithms=[alg], audience=TOKEN_URL, options={"verify_exp": False}
    )
    assert (
        claims["iss"] == claims["sub"] == "client-7"
        and claims["exp"] - claims["iat"] == 300
        and claims["jti"]
    )


def test_private_jwk_with_kid(tmp_path):
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key))
    jwk["kid"] = "from-jwk"
    path = tmp_path / "key.jwk"
    path.write_text(json.dumps(jwk))
    assert load_private_key(path).kid == "from-jwk"


def test_unusable_keys_are_configuration_errors(tmp_path):
    (tmp_path / "bad.pem").write_text("not a key")
    with pytest.raises(ConfigurationError, match="not a PEM"):
        load_private_key(tmp_path / "bad.pem", "k")
    with pytest.raises(ConfigurationError, match="cannot read"):
        load_private_key(tmp_path / "missing.pem", "k")
    (tmp_path / "k.pem").write_bytes(pem(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(ConfigurationError, match="kid"):
        load_private_key(tmp_path / "k.pem")


@respx.mock
def test_token_is_requested_with_client_credentials_and_cached(tmp_path):
    (tmp_path / "k.pem").write_bytes(pem(ec.generate_private_key(ec.SECP384R1())))
    route = respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(200, json={"access_token": "abc", "expires_in": 300})
    )

    async def go():
        async with httpx.AsyncClient() as http:
            smart = SmartBackendServices(
                http, TOKEN_URL, "client-7", load_private_key(tmp_path / "k.pem", "k")
            )
            return [await smart.token(), await smart.token()]

    assert asyncio.run(go()) == ["abc", "abc"]
    assert route.call_count == 1
    form = parse_qs(route.calls[0].request.content.decode())
    assert form["grant_type"] == ["client_credentials"]
    assert form["client_assertion_type"] == [
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    ]
    assert "system/Observation.write" in form["scope"][0]


@respx.mock
def test_token_endpoint_refusal_is_a_server_error(tmp_path):
    (tmp_path / "k.pem").write_bytes(pem(ec.generate_private_key(ec.SECP384R1())))
    respx.post(TOKEN_URL).mock(return_value=httpx.Response(401, json={"error": "invalid_client"}))

    async def go():
        async with httpx.AsyncClient() as http:
            await SmartBackendServices(
                http, TOKEN_URL, "c", load_private_key(tmp_path / "k.pem", "k")
            ).token()

    with pytest.raises(FhirServerError, match="401"):
        asyncio.run(go())
